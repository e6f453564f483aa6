package kernels

// Random draws in parallel: a draw long enough to pay for waking the pool
// is split into a fixed partition of the flat range (splitTasks), each
// task filling its own part from the element's counter, so the values are
// the serial loop's whatever the number of threads.

// Kinds of draw a drawRunner makes.
const (
	drawNormal = iota
	drawDropout
)

// drawCost is the work of one element of each kind, in parMinWork's units
// (about a nanosecond on one core; BenchmarkDraws: an f32 dropout mask's
// element takes a third of that with AVX-512, and is still counted as one,
// the least unit).
var drawCost = [...]int{drawNormal: 3, drawDropout: 1}

// drawRunner is the prepared state of one parallel draw, kept in a free
// list per element type as rowRunner is.
type drawRunner[T Float] struct {
	par  *parFor
	kind int
	dst  []T
	a, b float64 // the draw's parameters: mean and std, or p
	key  uint64
	per  int
}

// parallelDraw fills dst with the draw of the given kind under key in
// tasks when that pays; false when the caller must run it serially.
func parallelDraw[T Float](kind int, dst []T, a, b float64, key uint64) bool {
	tasks, per := splitTasks(len(dst), drawCost[kind])
	if tasks < 2 {
		return false
	}
	r := takeRunner[drawRunner[T]]()
	if r == nil {
		r = &drawRunner[T]{}
		r.par = newParFor(0, r.task)
	}
	r.kind, r.dst, r.a, r.b, r.key, r.per = kind, dst, a, b, key, per
	r.par.tasks = tasks
	r.par.run()
	r.dst = nil
	putRunner(r)
	return true
}

// task fills the part t of the draw.
func (r *drawRunner[T]) task(_, t int) {
	lo, hi := t*r.per, min((t+1)*r.per, len(r.dst))
	switch r.kind {
	case drawNormal:
		normalRange(r.dst[lo:hi], r.a, r.b, r.key, lo)
	case drawDropout:
		dropoutRange(r.dst[lo:hi], r.a, r.key, lo)
	}
}
