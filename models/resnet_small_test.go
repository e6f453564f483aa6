package models

import "testing"

// TestResNetSmallSmall trains resnet_small.nn (its block's augmentation,
// SGD with Nesterov momentum and cosine schedule) for 2 epochs on the
// committed 2,000 Fashion-MNIST images. Its last epoch's training loss
// must be at most PyTorch's mean plus three spreads over seeds 0-4 of the
// same run (torch/resnet_small.py small), and its accuracy on the 500 test
// images at least PyTorch's mean less four spreads: at the same training
// loss nnc's test accuracy after these 32 steps has been lower than
// PyTorch's (seeds 0-2: 0.504, 0.498, 0.590 against PyTorch's 0.566-0.630;
// models/README.md). Batch norm's running statistics are not the cause
// (TestBatchNormRunningStatsTorch: this network's seven running means and
// variances after nnc train equal PyTorch's from the same start).
func TestResNetSmallSmall(t *testing.T) {
	trainImage(t, "resnet_small.nn", "resnet_small", "small", fashionSmall, 4)
}

// TestResNetSmallShort trains resnet_small.nn for one epoch on the first
// 10,000 official training images and measures the official test set,
// against PyTorch's same run (torch/resnet_small.py short). A full run
// (NNC_FULL=1).
func TestResNetSmallShort(t *testing.T) {
	fullRun(t, false)
	trainImage(t, "resnet_small.nn", "resnet_small", "short", fashionSubset(t, 10000), 2)
}

// TestResNetSmallFull runs `nnc train resnet_small.nn` as written (8 epochs
// on all 60,000 images) and requires 92% on the official test set
// (fashion_cnn.nn's bar; see models/README.md for the references). A long
// run (NNC_FULL=all): 1,629 s of CPU. The run of models/README.md reached
// 0.9121, so this test fails until the recipe changes.
func TestResNetSmallFull(t *testing.T) {
	fullRun(t, true)
	trainFullImage(t, "resnet_small.nn", 0.92)
}
