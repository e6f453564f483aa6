//go:build !amd64 || noasm

package kernels

// asmTileRows: no assembly rows on this build; the tile ops run their Go
// rows.
func asmTileRows(op TileOp, r *FusedRows) {}
