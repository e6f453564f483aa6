package kernels

import (
	"math"
	"sync"
)

// Parallel variants of the elementwise, reduction and softmax kernels: each
// exported kernel checks its size and, when the work pays for waking the
// pool (parMinWork), hands a fixed partition of it to a rowRunner instead
// of running its serial loop. Elementwise kernels split the flat range;
// reductions split the input rows, sum each task's rows in order into the
// task's own partial result and add the partials in task order; softmax
// splits its independent lines.

// Kinds of work a rowRunner does.
const (
	rowUnary  = iota // dst = f1(a)
	rowBinary        // dst = f2(a, b), a or b possibly one repeated element
	rowSumTo
	rowMax
	rowMin
	rowSoftmax
	rowLogSoftmax
	rowLayerNorm
	rowBatchNorm
)

// Elementwise ops a rowRunner runs (the op field).
const (
	ewNeg = iota
	ewExp
	ewLog
	ewLog1p
	ewTanh
	ewSigmoid
	ewRelu
	ewSqrt
	ewAbs
	ewSquare
	ewSign
	ewErf
	ewGelu
	ewGeluTanh
	ewGeluGrad
	ewGeluTanhGrad
	ewAdd
	ewSub
	ewMul
	ewDiv
	ewPow
	ewMax
	ewMin
	ewGreater
	ewEqual
)

// ewWork is the cost of one element of each op, in the units of parMinWork
// (about a nanosecond), in scalar Go (math.Exp and the like: 8 ns for exp,
// 21 for tanh on this machine, BenchmarkSIMDRows's scalar rows; erf and
// GELU about 29, BenchmarkSIMDErf).
var ewWork = [...]int{
	ewExp: 8, ewLog: 8, ewLog1p: 8, ewTanh: 20, ewSigmoid: 8, ewPow: 20, ewSqrt: 2, ewDiv: 2,
	ewErf: 29, ewGelu: 30, ewGeluTanh: 28, ewGeluGrad: 36, ewGeluTanhGrad: 30, ewEqual: 1,
}

// ewMaxWork is the largest entry of ewWork.
const ewMaxWork = 36

// ewCost is the cost of one element of op for T: ewWork, or that of the
// vector code where simdUnary runs op (BenchmarkSIMDRows, one core: exp 0.25
// ns for float32 and 0.8 for float64, sigmoid 0.34 and 1.4, tanh 0.5 for
// float32, log about 2).
func ewCost[T Float](op int) int {
	if simdMath() {
		var z T
		_, f32 := any(z).(float32)
		switch op {
		case ewExp:
			return 1
		case ewSigmoid:
			if f32 {
				return 1
			}
			return 2
		case ewTanh:
			if f32 {
				return 1
			}
		case ewLog:
			return 2
		case ewErf, ewGelu, ewGeluTanh, ewGeluGrad, ewGeluTanhGrad: // 0.8-1.2 ns for float32 (BenchmarkSIMDErf)
			if f32 {
				return 1
			}
		}
	}
	return max(ewWork[op], 1)
}

// expLineCost is the cost per element of a softmax or cross-entropy line:
// a maximum, a subtraction, an exponential, a sum and a scaling (or
// subtraction), with the exponential in vector code (contiguous lines) or
// in math.Exp.
func expLineCost[T Float](contiguous bool) int {
	if contiguous && simdMath() {
		return 3 + ewCost[T](ewExp)
	}
	return 12
}

// rowRunner is the prepared state of one parallel call; runners are kept in
// a free list per element type, so that a call allocates nothing once a
// runner of large enough scratch exists.
type rowRunner[T Float] struct {
	par         *parFor
	kind, op    int
	dst, a, b   []T
	n, per      int // items (elements, rows or lines) and items per task
	bc          *Bcast
	idx         [][]int // per participant: Bcast scratch
	off         [][]int
	parts       []T // per task: a partial result of len(dst)
	outer, line int // softmax: [outer, line, inner]
	inner       int
	gamma, beta []T // norms
	nb, cb, sb  int // norms: LayerNorm [nb rows, cb]; BatchNorm [nb, cb, sb]
	eps         float64
}

// freeList is a stack of idle runners of one type.
type freeList[R any] struct {
	mu    sync.Mutex
	items []*R
}

// freeLists maps (*R)(nil) to the *freeList[R] of runner type R.
var freeLists sync.Map

func listOf[R any]() *freeList[R] {
	l, ok := freeLists.Load((*R)(nil))
	if !ok {
		l, _ = freeLists.LoadOrStore((*R)(nil), &freeList[R]{})
	}
	return l.(*freeList[R])
}

// takeRunner pops an idle runner of type R, or returns nil.
func takeRunner[R any]() *R {
	l := listOf[R]()
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.items); n > 0 {
		r := l.items[n-1]
		l.items = l.items[:n-1]
		return r
	}
	return nil
}

// putRunner returns r to its free list.
func putRunner[R any](r *R) {
	l := listOf[R]()
	l.mu.Lock()
	l.items = append(l.items, r)
	l.mu.Unlock()
}

// getRowRunner returns an idle runner for T.
func getRowRunner[T Float]() *rowRunner[T] {
	if r := takeRunner[rowRunner[T]](); r != nil {
		return r
	}
	r := &rowRunner[T]{}
	r.par = newParFor(0, r.task)
	np := r.par.participants()
	r.idx, r.off = make([][]int, np), make([][]int, np)
	for w := range r.off {
		r.off[w] = make([]int, 1)
	}
	return r
}

// start splits n items of the given work each; false (and nothing done)
// when one task would do.
func (r *rowRunner[T]) start(n, work int) bool {
	tasks, per := splitTasks(n, work)
	if tasks < 2 {
		return false
	}
	r.n, r.per, r.par.tasks = n, per, tasks
	return true
}

// finish runs the tasks, forgets the operands and returns r to its list.
func (r *rowRunner[T]) finish() {
	r.par.run()
	r.dst, r.a, r.b, r.bc = nil, nil, nil, nil
	putRunner(r)
}

// parallelEW runs the elementwise op on dst, a (and b for binary ops) in
// tasks when that pays; false when the caller must run it serially. A row
// too short for any op returns at once (this part is inlined).
func parallelEW[T Float](op int, dst, a, b []T) bool {
	if len(dst)*ewMaxWork < parMinWork {
		return false
	}
	return parallelEWLong(op, dst, a, b)
}

// parallelEWLong is parallelEW for a row long enough that some op pays.
func parallelEWLong[T Float](op int, dst, a, b []T) bool {
	work := ewCost[T](op)
	if len(dst)*work < parMinWork {
		return false
	}
	r := getRowRunner[T]()
	if !r.start(len(dst), work) {
		putRunner(r)
		return false
	}
	// Whole vectors per task, so that every element takes the same
	// (vector or scalar tail) path as in a serial run.
	r.per = (r.per + 63) &^ 63
	r.par.tasks = (r.n + r.per - 1) / r.per
	r.kind, r.op, r.dst, r.a, r.b = rowUnary, op, dst, a, b
	if op >= ewAdd {
		r.kind = rowBinary
	}
	r.finish()
	return true
}

// part is the part [lo, hi) of an operand of length n (all of it when it is
// one repeated element).
func part[T any](s []T, n, lo, hi int) []T {
	if len(s) == n {
		return s[lo:hi]
	}
	return s
}

func (r *rowRunner[T]) task(w, t int) {
	lo, hi := t*r.per, min((t+1)*r.per, r.n)
	switch r.kind {
	case rowUnary:
		unaryOp(r.op, r.dst[lo:hi], r.a[lo:hi])
	case rowBinary:
		n := len(r.dst)
		binaryRow(r.op, r.dst[lo:hi], part(r.a, n, lo, hi), part(r.b, n, lo, hi))
	case rowSumTo, rowMax, rowMin:
		m := len(r.dst)
		reduceRows(r.kind, r.bc, r.parts[t*m:(t+1)*m], r.a, r.idx[w], r.off[w], lo, hi)
	case rowSoftmax, rowLogSoftmax:
		softmaxLines(r.dst, r.a, r.line, r.inner, r.kind == rowLogSoftmax, lo, hi)
	case rowLayerNorm:
		layerNormRows(r.dst, r.a, r.gamma, r.beta, r.cb, r.eps, lo, hi)
	case rowBatchNorm:
		batchNormChannels(r.dst, r.a, r.gamma, r.beta, r.nb, r.cb, r.sb, r.eps, lo, hi)
	}
}

func unaryOp[T Float](op int, dst, x []T) {
	switch op {
	case ewNeg:
		negRow(dst, x)
	case ewExp:
		expRow(dst, x)
	case ewLog:
		logRow(dst, x)
	case ewLog1p:
		log1pRow(dst, x)
	case ewTanh:
		tanhRow(dst, x)
	case ewSigmoid:
		sigmoidRow(dst, x)
	case ewRelu:
		reluRow(dst, x)
	case ewSqrt:
		sqrtRow(dst, x)
	case ewAbs:
		absRow(dst, x)
	case ewSquare:
		squareRow(dst, x)
	case ewSign:
		signRow(dst, x)
	case ewErf:
		erfRow(dst, x)
	case ewGelu:
		geluRow(dst, x, false)
	case ewGeluTanh:
		geluRow(dst, x, true)
	case ewGeluGrad:
		geluGradRow(dst, x, false)
	case ewGeluTanhGrad:
		geluGradRow(dst, x, true)
	}
}

// reduceMinBytes is the least input whose reduction's tasks run in
// parallel (smaller ones run their tasks one after another on the caller,
// summing the same partials in the same order, so the bits do not change):
// one core reads a reduction's input about as fast as two up to there (an AMD EPYC
// of family 26, 2 vCPUs, sum of [rows, 512] float32 rows that both cores
// had just written, serial ÷ parallel: 0.9 at 1 and 4 MiB, 1.0 at 16, 1.2 to
// 1.4 at 64; in the training steps of bench's BenchmarkThreads at two
// threads, running every reduction serially made the steps 0.96 (ConvNet,
// transformer) to 1.0 (MLP, LSTM) times as long).
const reduceMinBytes = 16 << 20

// parallelReduce runs SumTo (kind rowSumTo), ReduceMax or ReduceMin in
// tasks of input rows when that pays and the partial results stay small
// (a quarter of the input at most), in parallel from reduceMinBytes;
// false when the caller must run it serially.
func parallelReduce[T Float](kind int, p *Bcast, dst, src []T) bool {
	if len(src) < parMinWork {
		return false
	}
	tasks, _ := splitTasks(p.Rows, p.Row)
	if tasks < 2 || tasks*len(dst)*4 > len(src) {
		return false
	}
	r := getRowRunner[T]()
	r.start(p.Rows, p.Row)
	m := len(dst)
	if need := r.par.tasks * m; cap(r.parts) < need {
		r.parts = make([]T, need)
	}
	r.parts = r.parts[:r.par.tasks*m]
	for w := range r.idx {
		if cap(r.idx[w]) < len(p.outer) {
			r.idx[w] = make([]int, len(p.outer))
		}
		r.idx[w] = r.idx[w][:len(p.outer)]
	}
	r.kind, r.bc, r.dst, r.a = kind, p, dst, src
	tasks = r.par.tasks
	if MulBytes(int64(len(src)), sizeOf[T]()) < reduceMinBytes {
		for t := range tasks {
			r.task(0, t)
		}
	} else {
		r.par.run()
	}
	// Combine the partials in task order.
	copy(dst, r.parts[:m])
	for t := 1; t < tasks; t++ {
		pt := r.parts[t*m : (t+1)*m]
		switch kind {
		case rowSumTo:
			for i, v := range pt {
				dst[i] += v
			}
		case rowMax:
			for i, v := range pt {
				dst[i] = max(dst[i], v)
			}
		case rowMin:
			for i, v := range pt {
				dst[i] = min(dst[i], v)
			}
		}
	}
	r.dst, r.a, r.bc = nil, nil, nil
	putRunner(r)
	return true
}

// reduceRows reduces the input rows [lo, hi) into dst (one task's partial),
// starting from the reduction's identity.
func reduceRows[T Float](kind int, p *Bcast, dst, src []T, idx, off []int, lo, hi int) {
	var init T
	switch kind {
	case rowMax:
		init = T(math.Inf(-1))
	case rowMin:
		init = T(math.Inf(1))
	}
	for i := range dst {
		dst[i] = init
	}
	n := p.Row
	for r := lo; r < hi; r++ {
		p.Offsets(r, idx, off)
		s := src[r*n : (r+1)*n]
		if p.Inner[0] == 1 {
			d := dst[off[0] : off[0]+n]
			switch kind {
			case rowSumTo:
				binaryRow(ewAdd, d, d, s) // vector code, each element's sum as the loop's
			case rowMax:
				for i, v := range s {
					d[i] = max(d[i], v)
				}
			case rowMin:
				for i, v := range s {
					d[i] = min(d[i], v)
				}
			}
			continue
		}
		acc := dst[off[0]]
		switch kind {
		case rowSumTo:
			acc += rowSum(s)
		case rowMax:
			for _, v := range s {
				acc = max(acc, v)
			}
		case rowMin:
			for _, v := range s {
				acc = min(acc, v)
			}
		}
		dst[off[0]] = acc
	}
}

// parallelSoftmax runs Softmax in tasks of outer indices when that pays.
func parallelSoftmax[T Float](dst, x []T, outer, n, inner int, log bool) bool {
	r := getRowRunner[T]()
	if !r.start(outer, n*inner*expLineCost[T](inner == 1)) {
		putRunner(r)
		return false
	}
	r.kind, r.dst, r.a, r.line, r.inner = rowSoftmax, dst, x, n, inner
	if log {
		r.kind = rowLogSoftmax
	}
	r.finish()
	return true
}

// parallelNorm runs LayerNorm (kind rowLayerNorm, x [n, c], tasks of rows)
// or BatchNorm (rowBatchNorm, x [n, c, s], tasks of channels) when that
// pays; every row or channel is computed as in a serial run.
func parallelNorm[T Float](kind int, out, x, gamma, beta []T, n, c, s int, eps float64) bool {
	items, work := n, c*12
	if kind == rowBatchNorm {
		items, work = c, n*s*12
	}
	r := getRowRunner[T]()
	if !r.start(items, work) {
		putRunner(r)
		return false
	}
	r.kind, r.dst, r.a, r.gamma, r.beta = kind, out, x, gamma, beta
	r.nb, r.cb, r.sb, r.eps = n, c, s, eps
	r.par.run()
	r.gamma, r.beta = nil, nil
	r.dst, r.a = nil, nil
	putRunner(r)
	return true
}

// ceRunner is a parallel call of CrossEntropy: each task sums its rows'
// losses in order; the tasks' sums are added in task order.
type ceRunner[T Float, L Label] struct {
	par       *parFor
	logits    []T
	labels    []L
	c, n, per int
	sums      [parMaxTasks]float64
}

func (r *ceRunner[T, L]) task(_, t int) {
	lo, hi := t*r.per, min((t+1)*r.per, r.n)
	r.sums[t] = crossEntropyRows(r.logits, r.labels, r.c, lo, hi)
}

// parallelCrossEntropy returns the summed row losses of CrossEntropy, in
// tasks when that pays; ok is false when the caller must run it serially.
func parallelCrossEntropy[T Float, L Label](logits []T, labels []L, n, c int) (total float64, ok bool) {
	tasks, per := splitTasks(n, c*expLineCost[T](true))
	if tasks < 2 {
		return 0, false
	}
	r := takeRunner[ceRunner[T, L]]()
	if r == nil {
		r = &ceRunner[T, L]{}
		r.par = newParFor(0, r.task)
	}
	r.logits, r.labels, r.c, r.n, r.per, r.par.tasks = logits, labels, c, n, per, tasks
	r.par.run()
	for t := 0; t < tasks; t++ {
		total += r.sums[t]
	}
	r.logits, r.labels = nil, nil
	putRunner(r)
	return total, true
}
