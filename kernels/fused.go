package kernels

import "fmt"

// FusedInstr is one instruction of a fused elementwise program: the next
// register gets the op applied to registers A and B (B is -1 for an op of
// one operand). Registers number the program's inputs first, then its
// immediates, then one result per instruction in order. Rows are the op's
// row functions; Op is its name, for messages only.
type FusedInstr struct {
	Op   string
	Rows *FusedRows
	A, B int
}

// FusedRows are the row functions a fused program runs for one elementwise
// op, by element type: Unary32 and Unary64 for an op of one operand,
// Binary32 and Binary64 for an op of two. A row writes dst[i] from x[i]
// (and y[i]) only, so dst may alias an operand; a binary row also takes
// one repeated element (length 1) for x or y. The ops' descriptors
// (ops.Elementwise) hold them: the ops' own rows (ExpRow, MishRow...) or,
// for the cheap ops, the tile rows of TileOp.Rows.
type FusedRows struct {
	Unary32  func(dst, x []float32)
	Unary64  func(dst, x []float64)
	Binary32 func(dst, x, y []float32)
	Binary64 func(dst, x, y []float64)
}

// rowsOf returns instruction ins's row for T: unary when B is -1, else
// binary; both nil when the op has none of that arity for T.
func rowsOf[T Float](ins FusedInstr) (un func(dst, x []T), bin func(dst, x, y []T)) {
	r := ins.Rows
	if r == nil {
		return nil, nil
	}
	var u, b any
	switch any(*new(T)).(type) {
	case float32:
		u, b = r.Unary32, r.Binary32
	case float64:
		u, b = r.Unary64, r.Binary64
	}
	if ins.B < 0 {
		un, _ = u.(func(dst, x []T))
	} else {
		bin, _ = b.(func(dst, x, y []T))
	}
	return un, bin
}

// FusedTile is the number of elements a fused program works on at once: a
// few registers of this size stay in the L1/L2 cache while each instruction
// runs a tight loop over them.
const FusedTile = 1024

// Fused is a fused elementwise program prepared for concrete shapes. Run
// evaluates it over the output in tiles of FusedTile elements: every
// instruction is one row function applied to a whole tile, so the
// interpretation costs one call per instruction per tile. The row functions
// are the unfused ops' own (ExpRow, TanhRow...) or loops doing the same
// arithmetic (fused_rows.go, and AVX2 loops in fused_amd64.s), so the
// results are those of the unfused ops, bitwise (NaN payloads aside).
// Inputs with the output's element count are read in place, scalar inputs
// and immediates are length-1 registers, and inputs broadcast along some
// axes are gathered tile by tile into scratch. Every buffer is allocated by
// NewFused; Run allocates nothing.
type Fused[T Float] struct {
	n     int // output elements
	tile  int
	ins   []fusedInput[T]
	steps []fusedStep[T]
	regs  [][]T // the current slice of each register
	imms  []T   // backing store of the immediates
	data  [][]T // the inputs of the current run
}

type fusedInput[T Float] struct {
	mode    int // inFull, inScalar or inGather
	b       *Bcast
	idx     []int
	off     []int
	scratch []T
}

const (
	inFull = iota
	inScalar
	inGather
)

type fusedStep[T Float] struct {
	un     func(dst, x []T)
	bin    func(dst, x, y []T)
	a, b   int
	dst    int
	scalar bool // every operand is a scalar: the result is one element
	buf    []T  // the tile (or single element) the result is written to
	last   bool // the program's result: written to the output tile
}

// NewFused prepares program prog with len(in) inputs of the given shapes
// and the immediates imms for an output of shape out. Every input shape
// must broadcast to out.
func NewFused[T Float](prog []FusedInstr, imms []float64, out []int, in [][]int) (*Fused[T], error) {
	f := &Fused[T]{n: numElems(out)}
	f.tile = min(FusedTile, max(f.n, 1))
	nr := len(in) + len(imms) + len(prog)
	f.regs = make([][]T, nr)
	f.data = make([][]T, len(in))
	scalar := make([]bool, nr)
	for k, s := range in {
		var fi fusedInput[T]
		switch m := numElems(s); {
		case m == f.n:
			fi.mode = inFull
		case m == 1:
			fi.mode = inScalar
			scalar[k] = true
		default:
			fi.mode = inGather
			fi.b = newBcastMerged(out, s)
			fi.idx, fi.off = fi.b.Scratch(), make([]int, 1)
			fi.scratch = make([]T, f.tile)
		}
		f.ins = append(f.ins, fi)
	}
	f.imms = make([]T, len(imms))
	for i, v := range imms {
		f.imms[i] = T(v)
		r := len(in) + i
		f.regs[r] = f.imms[i : i+1 : i+1]
		scalar[r] = true
	}
	if len(prog) == 0 {
		return nil, fmt.Errorf("fused program has no instructions")
	}
	// Last use of every register, to reuse temporaries' tiles.
	base := len(in) + len(imms)
	lastUse := make([]int, nr)
	for i, ins := range prog {
		for _, r := range []int{ins.A, ins.B} {
			if r >= 0 {
				if r >= base+i {
					return nil, fmt.Errorf("instruction %d reads register %d before it is set", i, r)
				}
				lastUse[r] = i
			}
		}
	}
	plan := planFusedTiles(prog, base, lastUse, scalar)
	bufs := make([][]T, plan.tiles)
	for i := range bufs {
		bufs[i] = make([]T, f.tile)
	}
	for i, ins := range prog {
		st := fusedStep[T]{a: ins.A, b: ins.B, dst: base + i, last: i == len(prog)-1, scalar: plan.scalar[base+i]}
		st.un, st.bin = rowsOf[T](ins)
		switch {
		case ins.B < 0 && st.un == nil:
			return nil, fmt.Errorf("fused program: instruction %d (%s) has no unary row for %T", i, ins.Op, *new(T))
		case ins.B >= 0 && st.bin == nil:
			return nil, fmt.Errorf("fused program: instruction %d (%s) has no binary row for %T", i, ins.Op, *new(T))
		}
		switch {
		case st.scalar:
			st.buf = make([]T, 1)
		case plan.tile[i] >= 0:
			st.buf = bufs[plan.tile[i]]
		}
		f.steps = append(f.steps, st)
	}
	return f, nil
}

// fusedTiles is where a fused program's instructions put their results:
// scalar says which registers hold one element (by register), tile the
// temporary tile of each instruction (-1: none, a scalar or the last,
// which writes the output tile), tiles how many tiles there are.
type fusedTiles struct {
	scalar []bool
	tile   []int
	tiles  int
}

// planFusedTiles assigns the temporaries of prog (registers from base on;
// lastUse[r] the instruction reading register r last; scalar the
// registers known to hold one element, the inputs' and immediates', which
// it extends): an instruction's result takes a tile that an operand dying
// there gave back (every row function writes dst[i] from x[i] and y[i]
// only, so dst may alias them), else a new one; a result never read is
// given back at once.
func planFusedTiles(prog []FusedInstr, base int, lastUse []int, scalar []bool) fusedTiles {
	p := fusedTiles{scalar: scalar, tile: make([]int, len(prog))}
	var free []int
	tileOf := make([]int, len(scalar))
	for i := range tileOf {
		tileOf[i] = -1
	}
	for i, ins := range prog {
		dst := base + i
		if ins.B < 0 {
			scalar[dst] = scalar[ins.A]
		} else {
			scalar[dst] = scalar[ins.A] && scalar[ins.B]
		}
		for _, r := range []int{ins.A, ins.B} {
			if r >= base && lastUse[r] == i && tileOf[r] >= 0 {
				free = append(free, tileOf[r])
				tileOf[r] = -1
			}
		}
		p.tile[i] = -1
		switch {
		case scalar[dst], i == len(prog)-1:
		case len(free) > 0:
			p.tile[i] = free[len(free)-1]
			free = free[:len(free)-1]
			tileOf[dst] = p.tile[i]
		default:
			p.tile[i] = p.tiles
			p.tiles++
			tileOf[dst] = p.tile[i]
		}
		if lastUse[dst] < i && tileOf[dst] >= 0 {
			free = append(free, tileOf[dst])
			tileOf[dst] = -1
		}
	}
	return p
}

// Run computes out from the inputs in (each of its input's shape).
func (f *Fused[T]) Run(out []T, in ...[]T) {
	copy(f.data, in)
	f.run(out)
}

// RunData is Run with the inputs already stored by SetInput, so that a
// caller holding tensors need not build a slice per call.
func (f *Fused[T]) RunData(out []T) { f.run(out) }

// SetInput stores input k's data for the next RunData.
func (f *Fused[T]) SetInput(k int, x []T) { f.data[k] = x }

func (f *Fused[T]) run(out []T) {
	for o := 0; o < f.n; o += f.tile {
		l := min(f.tile, f.n-o)
		f.Range(out[o:o+l], o)
	}
}

// Range computes the output elements [o, o+len(dst)) into dst, which holds
// at most FusedTile elements; the inputs are those of the last SetInput or
// Run. Reductions and matmul epilogues use it to evaluate a program one
// piece at a time.
func (f *Fused[T]) Range(dst []T, o int) {
	l := len(dst)
	for k := range f.ins {
		fi := &f.ins[k]
		x := f.data[k]
		switch fi.mode {
		case inFull:
			f.regs[k] = x[o : o+l]
		case inScalar:
			f.regs[k] = x[:1]
		default:
			fi.gather(x, o, l)
			f.regs[k] = fi.scratch[:l]
		}
	}
	for i := range f.steps {
		st := &f.steps[i]
		var d []T
		switch {
		case st.scalar:
			d = st.buf
		case st.last:
			d = dst
		default:
			d = st.buf[:l]
		}
		if st.un != nil {
			st.un(d, f.regs[st.a])
		} else {
			st.bin(d, f.regs[st.a], f.regs[st.b])
		}
		f.regs[st.dst] = d
	}
	if st := &f.steps[len(f.steps)-1]; st.scalar {
		c := st.buf[0]
		for i := range dst {
			dst[i] = c
		}
	}
}

// gather copies elements [o, o+l) of the broadcast view of x into scratch.
func (fi *fusedInput[T]) gather(x []T, o, l int) {
	b := fi.b
	row := b.Row
	r, col := o/row, o%row
	pos := 0
	for pos < l {
		seg := min(row-col, l-pos)
		b.Offsets(r, fi.idx, fi.off)
		d := fi.scratch[pos : pos+seg]
		if b.Inner[0] == 1 {
			s := fi.off[0] + col
			copy(d, x[s:s+seg])
		} else {
			fillRow(d, x, fi.off[0]) // a broadcast along the row (a conv's bias)
		}
		pos += seg
		r, col = r+1, 0
	}
}
