package nnc

import "time"

// StepEvent describes a training step just completed; a training run
// sends one after every step to whoever follows its progress (a progress
// bar, an embedder's callback).
type StepEvent struct {
	// Epoch is the epoch (from 1) of Epochs; Step is the step within it
	// (from 1) of Steps (0 when the number of steps is not known).
	Epoch, Epochs int
	Step, Steps   int
	// GlobalStep counts the steps of the whole run, this one included.
	GlobalStep int64
	// Samples is the number of examples of this step; EpochSamples those
	// of the epoch so far, this step's included.
	Samples      int
	EpochSamples int64
	// Loss is this step's training loss; RunningLoss the mean loss of the
	// epoch's steps so far, weighted by their examples.
	Loss, RunningLoss float64
	// LR is the learning rate this step used.
	LR float64
	// Elapsed is the time since the epoch started.
	Elapsed time.Duration
}

// EpochEvent describes an epoch just completed, with its evaluation.
type EpochEvent struct {
	// Epoch is the epoch (from 1) of Epochs.
	Epoch, Epochs int
	// Steps and Samples count the epoch's steps and examples.
	Steps   int
	Samples int64
	// Loss is the mean training loss of the epoch's steps.
	Loss float64
	// Metrics are the epoch's measured metrics by name: "val_loss",
	// "val_accuracy", "train_accuracy", ...
	Metrics map[string]float64
	// LR is the learning rate of the epoch's last step.
	LR float64
	// Duration is the epoch's time, its evaluation included.
	Duration time.Duration
}
