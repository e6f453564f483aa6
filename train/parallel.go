package train

import (
	"fmt"

	"github.com/nnclang/nnc/dist"
	"github.com/nnclang/nnc/ops"
)

// Data-parallel training (StepOptions.Parallel): every global batch of G
// rows is split into N contiguous shards by rank, ShardRows: the first
// G mod N shards have ⌊G/N⌋+1 rows, the others ⌊G/N⌋ (a shard may be
// empty when G < N). Every rank walks the same shuffled order (the same
// seed), so the shards of an epoch are disjoint and cover it. Rank r runs
// the micro-batch graph (StepOptions.Micro) on its shard with the seed
// ShardSeed(seed, r): it leaves n_r·g_r in each parameter's gradient
// accumulator and n_r in AccumRowsState. The accumulators, the rows and
// n_r·loss_r are then summed over the ranks in rank order (dist.Comm's
// allreduce; with Parallel.Comm nil, the N shards run one after another
// in this process and are summed by the same function), and the apply
// graph (Parallel.Apply) updates the parameters with the gradient
// Σ n_r·g_r / Σ n_r, the gradient of the global batch's mean loss, and
// resets the accumulators. The step's loss is Σ n_r·loss_r / G on every
// rank. The states the model updates in its forward pass (batch
// normalization's running statistics) are rank 0's after every step: under
// a Comm they are broadcast from rank 0, and the emulation keeps those of
// shard 0, as PyTorch's DistributedDataParallel broadcasts rank 0's
// buffers. At the start rank 0's parameters and states are broadcast.

// Parallel makes a training step data-parallel. BuildStep with a
// StepOptions whose Parallel is not nil builds the micro-batch graph
// (StepOptions.Micro) and Apply; the loop then runs every step as the
// package comment above says.
type Parallel struct {
	// Comm connects the ranks of the job (package dist); nil: Shards
	// shards emulated in this process.
	Comm dist.Comm
	// Shards is the number of shards emulated when Comm is nil (1 to
	// MaxShards).
	Shards int
	// Apply is set by BuildStep: the graph that updates the parameters
	// from the summed accumulators (no inputs, no outputs).
	Apply *ops.Graph
}

// MaxShards bounds Parallel.Shards.
const MaxShards = 4096

// Size is the number of shards of every batch: the Comm's ranks, or
// Shards.
func (p *Parallel) Size() int {
	if p.Comm != nil {
		return p.Comm.Size()
	}
	return p.Shards
}

func (p *Parallel) check() error {
	if p.Comm == nil && (p.Shards < 1 || p.Shards > MaxShards) {
		return settingErr("shards", "want a number of shards from 1 to %d, got %d", MaxShards, p.Shards)
	}
	return nil
}

// ShardRows is the rows [lo, hi) of shard r of n of a batch of g rows.
func ShardRows(g, n, r int) (lo, hi int) {
	q, extra := g/n, g%n
	lo = r*q + min(r, extra)
	hi = lo + q
	if r < extra {
		hi++
	}
	return lo, hi
}

// ShardSeed is the seed of shard r's forward pass (dropout, noise) in a
// step of seed seed: seed itself for shard 0.
func ShardSeed(seed uint64, r int) uint64 { return seed + uint64(r)*0x9E3779B97F4A7C15 }

// buildApply sets s.Parallel.Apply from the step graph g, whose first
// nModel updates are the model's own (states of the forward pass): a
// copy of g's other updates (the optimizer's, the accumulators' resets)
// in which each sum of an accumulator and the batch's part reads the
// accumulator alone (s.sums), so that the update reads only the
// accumulators: the gradient is accumulated / rows.
func (s *StepOptions) buildApply(g *ops.Graph, nModel int) error {
	instead := make(map[int]int, len(s.sums))
	for _, p := range s.sums {
		instead[p[0].ID] = p[1].ID
	}
	copies := make(map[int]*ops.Node)
	h := &ops.Graph{Nodes: g.Nodes, Updates: g.Updates[nModel:]}
	nb, _, err := replay(h, replayRules{
		use: func(nb *ops.Builder, n, c *ops.Node) (*ops.Node, error) {
			copies[n.ID] = c
			if id, ok := instead[n.ID]; ok {
				if copies[id] == nil {
					return nil, fmt.Errorf("train: the apply graph: %s is not copied before the sum that reads it", g.Nodes[id].Name())
				}
				return copies[id], nil
			}
			return nil, nil
		},
	})
	if err != nil {
		return err
	}
	apply, err := subgraph(nb.G, nil, nb.G.Updates)
	if err != nil {
		return err
	}
	s.Parallel.Apply = dropInputs(apply)
	return nil
}

// dropInputs returns g (a graph of its own) without the inputs nothing
// reads, renumbering its nodes.
func dropInputs(g *ops.Graph) *ops.Graph {
	needed := g.Needed()
	out := &ops.Graph{Outputs: g.Outputs, Updates: g.Updates}
	for _, n := range g.Nodes {
		if n.Op == ops.Input && !needed[n.ID] {
			continue
		}
		out.Nodes = append(out.Nodes, n)
	}
	for i, n := range out.Nodes {
		n.ID = i
	}
	return out
}

// checkParallel reports the settings data-parallel training cannot
// combine with.
func (s *StepOptions) checkParallel() error {
	if s.Parallel == nil {
		return nil
	}
	if s.Accumulate > 1 {
		return settingErr("accumulate", "gradient accumulation (%d batches) cannot be combined with data-parallel training: use a larger batch", s.Accumulate)
	}
	return s.Parallel.check()
}
