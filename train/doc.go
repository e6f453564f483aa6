// Package train turns a model's loss into a training step and runs the
// training loop.
//
// A step is one graph: the forward pass, the gradients (autodiff.Grad) and
// the optimizer's updates of every parameter and of its own state (momentum
// buffers, Adam's moments and step counter), so that the runtime can plan
// and fuse across all three. Optimizers are graph builders: they add nodes
// computing each parameter's new value and record it with Builder.Update.
//
// Run drives the loop (loop.go): seeded shuffling and batching (package
// data), one step per batch with a seed of its own, and after each epoch
// the evaluation of the validation set (and of the training set unless
// Config.SkipTrainEval; otherwise an epoch's training loss is the mean of
// its steps') with the metrics chosen (metrics.go, Evaluator.SetMetrics).
// Around the steps: a learning-rate schedule written into the step graph's
// LRState (schedule.go), early stopping (earlystop.go), checkpoints and an
// exact resume from one (checkpoint.go, resume.go: a resumed run ends
// bitwise as if it had not stopped), the training log with gradient norms
// and update ratios on logged steps only (log.go, runlog.go), and
// callbacks (Config.OnStep, AfterEpoch). The arrays of a data set bind to
// the graphs' inputs by name. Full-batch data
// (Config.FullBatch: a graph's adjacency, node features, labels and a mask
// of the set's nodes) is bound whole, one step an epoch; accuracy then
// counts only the examples a mask selects (Config.Mask). Config.Resample
// redraws the training set before every epoch (text windows at a new
// offset); Config.Stream replaces the training rows by batches read from
// disk through a shuffle buffer (data.Stream). Every set is checked against the graphs before the first step:
// arrays, element types, labels and ids in range, the labels for accuracy.
// StepOptions.Parallel makes training data-parallel (parallel.go): each
// batch split into shards by rank, the shards' gradients summed in rank
// order over a dist.Comm (or emulated in one process), the sums begun
// during the backward pass (parallel_overlap.go).
package train
