package data

import (
	"fmt"

	"github.com/nnclang/nnc/tensor"
)

// Batch is one minibatch: Size rows of every array of the dataset, copied
// into buffers that Batches reuses (valid until the next call to Next). A
// byte array's rows are converted to its DType here.
type Batch struct {
	Index  int // batch number within the epoch, from 0
	Size   int // rows in this batch (smaller for the last, partial batch)
	Arrays map[string]*tensor.Tensor
}

// Batches walks a dataset in minibatches, epoch after epoch. Rows are
// shuffled per epoch by a permutation drawn from (seed, epoch), or kept in
// order. Batches are copied into buffers allocated once: walking an epoch
// allocates nothing.
//
//	bs, _ := data.NewBatches(train, 64, true, seed)
//	for epoch := range epochs {
//		for bs.Start(epoch); bs.Next(); {
//			b := bs.Batch() // b.Arrays["x"] is f32[64, 64] ...
//		}
//	}
type Batches struct {
	d       *Dataset
	size    int
	shuffle bool
	seed    uint64
	perm    []int
	pos     int
	full    Batch // buffers of size rows
	tail    Batch // buffers for the last, partial batch (nil arrays when N divides)
	cur     *Batch
	index   int
}

// NewBatches prepares batches of size rows of d. With shuffle, each epoch
// visits the rows in a seeded random order; otherwise in dataset order.
func NewBatches(d *Dataset, size int, shuffle bool, seed uint64) (*Batches, error) {
	if size <= 0 {
		return nil, fmt.Errorf("data: batch size must be positive, got %d", size)
	}
	n := d.Len()
	if n == 0 {
		return nil, fmt.Errorf("data: the dataset is empty")
	}
	full := min(size, n)
	b := &Batches{d: d, size: full, shuffle: shuffle, seed: seed, perm: make([]int, n)}
	b.full = Batch{Size: full, Arrays: buffers(d, full)}
	if r := n % full; r != 0 {
		b.tail = Batch{Size: r, Arrays: buffers(d, r)}
	}
	b.Start(0)
	return b, nil
}

func buffers(d *Dataset, rows int) map[string]*tensor.Tensor {
	m := make(map[string]*tensor.Tensor, len(d.Arrays))
	for name, t := range d.Arrays {
		m[name] = tensor.New(t.DType, append([]int{rows}, t.Shape[1:]...)...)
	}
	for name, b := range d.Bytes {
		m[name] = tensor.New(b.DType, append([]int{rows}, b.Shape[1:]...)...)
	}
	return m
}

// Len is the number of batches per epoch (the last may be partial).
func (b *Batches) Len() int { return (len(b.perm) + b.size - 1) / b.size }

// Size is the full batch size (the dataset's length when that is smaller).
func (b *Batches) Size() int { return b.size }

// Start begins epoch e: it draws the epoch's order and rewinds.
func (b *Batches) Start(epoch int) {
	for i := range b.perm {
		b.perm[i] = i
	}
	if b.shuffle {
		newRNG(b.seed, uint64(epoch)+1).shuffle(b.perm)
	}
	b.pos, b.index, b.cur = 0, 0, nil
}

// Next fills the next batch and reports whether there was one.
func (b *Batches) Next() bool {
	n := len(b.perm)
	if b.pos >= n {
		b.cur = nil
		return false
	}
	bt := &b.full
	if n-b.pos < b.size {
		bt = &b.tail
	}
	rows := b.perm[b.pos : b.pos+bt.Size]
	for name, src := range b.d.Arrays {
		dst := bt.Arrays[name]
		for i, j := range rows {
			copyRow(dst, i, src, j)
		}
	}
	for name, src := range b.d.Bytes {
		dst := bt.Arrays[name]
		for i, j := range rows {
			src.copyRowTo(dst, i, j)
		}
	}
	bt.Index = b.index
	b.index++
	b.pos += bt.Size
	b.cur = bt
	return true
}

// Batch is the batch filled by the last Next.
func (b *Batches) Batch() *Batch { return b.cur }

// Order is the row order of the current epoch (shared; do not modify).
func (b *Batches) Order() []int { return b.perm }
