// Package train turns a model's loss into a training step and runs the
// training loop.
//
// A step is one graph: the forward pass, the gradients (autodiff.Grad) and
// the optimizer's updates of every parameter and of its own state (momentum
// buffers, Adam's moments and step counter), so that the runtime can plan
// and fuse across all three. Optimizers are graph builders: they add nodes
// computing each parameter's new value and record it with Builder.Update.
//
// Run drives the loop: seeded shuffling and batching (package data), one
// step per batch, and evaluation of loss and accuracy on the training,
// validation and test sets after each epoch, with one progress line. The
// arrays of a data set bind to the graphs' inputs by name. Full-batch data
// (Config.FullBatch: a graph's adjacency, node features, labels and a mask
// of the set's nodes) is bound whole, one step an epoch; accuracy then
// counts only the examples a mask selects (Config.Mask). Config.Resample
// redraws the training set before every epoch (text windows at a new
// offset). Every set is checked against the graphs before the first step:
// arrays, element types, labels and ids in range, the labels for accuracy.
package train
