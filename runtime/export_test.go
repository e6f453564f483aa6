package runtime

// UnsharedPacks makes p's products pack their operands themselves, as
// without a PackCache: the reference for tests of the shared packing.
func UnsharedPacks(p *Plan) { p.ctx.Packs = nil }

// PackStats returns how many packed params p's cache holds and how many
// times they were packed.
func PackStats(p *Plan) (entries int, packed int64) { return p.packs.Entries(), p.packs.Packed() }

// ParamWrites is the number of updates p's steps write in place.
func ParamWrites(p *Plan) int { return len(p.writes) }

// SetRegionsOff makes plans run their row regions' steps one at a time,
// each with its own kernel (on) or as regions again (off).
func SetRegionsOff(on bool) { regionsOff = on }
