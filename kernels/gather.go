package kernels

// Data movement, no arithmetic but ScatterAdd's sums: strided views
// (Gather through a View, Scatter as its adjoint), Fill, Concat, and gathers
// and scatters by index along an axis (Take, ScatterAdd, GatherAlong,
// ScatterAddAlong).

// View is a prepared strided walk: element (i0, i1, ...) of a tensor of shape
// Shape sits at Base + Σ ik*Stride[k] in another tensor's data. Slicing reads
// through a View (Gather); its adjoint and padding write through one
// (Scatter). Strides may be negative (NumPy's negative steps).
type View struct {
	Shape  []int
	Base   int
	Stride []int
	idx    []int // scratch for the odometer
}

// NewView prepares a view; shape and stride have one entry per axis. The
// view keeps its own copies, simplified without changing the elements it
// selects or their order: axes of size 1 are dropped and an axis whose
// stride is the next one's extent (the next axis's size times its stride)
// is merged into it, so that a slice of whole rows or planes is one run.
// Gather and Scatter copy runs of stride 1 whole.
func NewView(shape []int, base int, stride []int) *View {
	v := &View{Base: base}
	if numElems(shape) == 0 {
		v.Shape, v.Stride = []int{0}, []int{1} // nothing is read or written
	} else {
		for i, n := range shape {
			if n == 1 {
				continue
			}
			if k := len(v.Shape) - 1; k >= 0 && v.Stride[k] == n*stride[i] {
				v.Shape[k] *= n
				v.Stride[k] = stride[i]
				continue
			}
			v.Shape, v.Stride = append(v.Shape, n), append(v.Stride, stride[i])
		}
		if len(v.Shape) == 0 {
			v.Shape, v.Stride = []int{1}, []int{1} // one element
		}
	}
	v.idx = make([]int, len(v.Shape))
	return v
}

// Gather writes dst (of the view's shape, row-major) from src through v; a
// large one in tasks (walkRun).
func Gather[T any](v *View, dst, src []T) {
	if len(v.Shape) == 0 {
		dst[0] = src[v.Base]
		return
	}
	walkRun(v.Shape, v.Stride, v.Base, dst, src, v.idx)
}

// Scatter writes src (of the view's shape, row-major) into dst through v;
// the other elements of dst are left as they are.
func Scatter[T any](v *View, dst, src []T) {
	r := len(v.Shape)
	if r == 0 {
		dst[v.Base] = src[0]
		return
	}
	total := numElems(v.Shape)
	if total == 0 {
		return
	}
	n, s := v.Shape[r-1], v.Stride[r-1]
	idx := v.idx[:r-1]
	clear(idx)
	off := v.Base
	for flat := 0; flat < total; flat += n {
		d := src[flat : flat+n]
		if s == 1 {
			copy(dst[off:off+n], d)
		} else {
			for j, k := 0, off; j < n; j, k = j+1, k+s {
				dst[k] = d[j]
			}
		}
		off = v.next(idx, off)
	}
}

// next advances the outer index idx like an odometer and returns the offset
// of the next row.
func (v *View) next(idx []int, off int) int {
	for i := len(idx) - 1; i >= 0; i-- {
		idx[i]++
		off += v.Stride[i]
		if idx[i] < v.Shape[i] {
			return off
		}
		off -= idx[i] * v.Stride[i]
		idx[i] = 0
	}
	return off
}

// Fill sets every element of dst to c.
func Fill[T any](dst []T, c T) {
	for i := range dst {
		dst[i] = c
	}
}

// Concat joins srcs along an axis: every operand is viewed as [outer, rows_k]
// where rows_k is its size along the axis times the size of the axes after
// it, and dst as [outer, Σ rows_k]. A large one is split by outer rows
// among the pool's goroutines (as walkRun); one of a single outer row (a
// join along the first axis) by parts of every operand instead, task k
// copying the k-th part of each: a recurrence's per-step results, whose
// rows each core computed in a row region (runtime/rows.go), are then
// copied by the core that wrote them.
func Concat[T any](dst []T, srcs [][]T, rows []int, outer int) {
	width := 0
	for _, n := range rows {
		width += n
	}
	tasks, per, inner := concatTasks(width, len(rows), outer)
	if tasks < 2 {
		concatRows(dst, srcs, rows, width, 0, outer)
		return
	}
	c := takeRunner[concatRunner[T]]()
	if c == nil {
		c = &concatRunner[T]{}
		c.par = newParFor(0, c.task)
	}
	c.dst, c.srcs, c.rows, c.width, c.per, c.outer, c.par.tasks = dst, srcs, rows, width, per, outer, tasks
	c.parts = 0
	if inner {
		c.parts = tasks
	}
	c.par.run()
	c.dst, c.srcs, c.rows = nil, nil, nil
	putRunner(c)
}

// concatTasks is the tasks of a Concat of n operands of width elements in
// all per outer row, and the outer rows per task, or whether the tasks
// split every operand instead (inner).
func concatTasks(width, n, outer int) (tasks, per int, inner bool) {
	if outer == 1 && n > 1 {
		tasks, _ = splitTasksFrom(width, 1, dataMinWork*walkUnit)
		return tasks, 1, true
	}
	tasks, per = splitTasksFrom(outer, width/walkUnit+n, dataMinWork)
	return tasks, per, false
}

// Take gathers along the middle axis of src, viewed as [outer, n, inner]:
// dst [outer, len(ids), inner] holds src[o, ids[j], i]. Negative ids count
// from the end; ids outside [-n, n) give zeros.
func Take[T any, I ~int32 | ~int64](dst, src []T, ids []I, outer, n, inner int) {
	m := len(ids)
	var zero T
	for o := 0; o < outer; o++ {
		for j, id := range ids {
			k := int(id)
			if k < 0 {
				k += n
			}
			d := dst[(o*m+j)*inner : (o*m+j+1)*inner]
			if k < 0 || k >= n {
				for i := range d {
					d[i] = zero
				}
				continue
			}
			copy(d, src[(o*n+k)*inner:(o*n+k+1)*inner])
		}
	}
}

// ScatterAdd is Take's adjoint: dst [outer, n, inner] is zeroed, then
// src[o, j, i] is added to dst[o, ids[j], i]. Ids outside [-n, n) are skipped.
func ScatterAdd[T Float, I ~int32 | ~int64](dst, src []T, ids []I, outer, n, inner int) {
	clear(dst)
	m := len(ids)
	for o := 0; o < outer; o++ {
		for j, id := range ids {
			k := int(id)
			if k < 0 {
				k += n
			}
			if k < 0 || k >= n {
				continue
			}
			d := dst[(o*n+k)*inner : (o*n+k+1)*inner]
			for i, v := range src[(o*m+j)*inner : (o*m+j+1)*inner] {
				d[i] += v
			}
		}
	}
}

// GatherAlong is NumPy's take_along_axis on src viewed as [outer, n, inner]
// with ids viewed as [outer, m, inner]: dst[o, j, i] = src[o, ids[o, j, i], i].
// Negative ids count from the end; ids outside [-n, n) give zeros.
func GatherAlong[T any, I ~int32 | ~int64](dst, src []T, ids []I, outer, n, m, inner int) {
	var zero T
	for o := 0; o < outer; o++ {
		for j := 0; j < m; j++ {
			row := (o*m + j) * inner
			for i := 0; i < inner; i++ {
				k := int(ids[row+i])
				if k < 0 {
					k += n
				}
				if k < 0 || k >= n {
					dst[row+i] = zero
					continue
				}
				dst[row+i] = src[(o*n+k)*inner+i]
			}
		}
	}
}

// ScatterAddAlong is GatherAlong's adjoint: dst [outer, n, inner] is zeroed,
// then src[o, j, i] is added to dst[o, ids[o, j, i], i]; ids outside [-n, n)
// are skipped.
func ScatterAddAlong[T Float, I ~int32 | ~int64](dst, src []T, ids []I, outer, n, m, inner int) {
	clear(dst)
	for o := 0; o < outer; o++ {
		for j := 0; j < m; j++ {
			row := (o*m + j) * inner
			for i := 0; i < inner; i++ {
				k := int(ids[row+i])
				if k < 0 {
					k += n
				}
				if k >= 0 && k < n {
					dst[(o*n+k)*inner+i] += src[row+i]
				}
			}
		}
	}
}
