"""PyTorch side of models/lenet.nn: the same network (3x3 convolutions of
32 and 64 channels, padded, each followed by relu and 2x2 max pooling; a
dense layer of 128, relu, dropout 0.25; 10 logits), He-uniform kernels
(kaiming_uniform_ for relu: U(±√(6/fan_in))), Glorot-uniform dense weights,
zero biases, the official MNIST split (pixels / 255), cross entropy, Adam
(lr 1e-3, constant), batches of 128 reshuffled every epoch, in float32.
The training loop, the data and the json are mnist_mlp.py's:

    /usr/bin/python3 lenet.py small       # TestLeNet's brief run (3 epochs on data/mnist_small), seeds 0-4
    /usr/bin/python3 lenet.py full 0      # the model's 5 epochs, seed 0, one thread
    /usr/bin/python3 lenet.py first 0     # TestLeNetEpoch's run: one epoch of it
    /usr/bin/python3 lenet.py threads     # seed 0 on two threads, 1 epoch (time only)
"""
from torch import nn

from mnist_mlp import main


def lenet(p=0.25):
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(p),
        nn.Linear(128, 10))
    for m in model:
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


if __name__ == "__main__":
    main(lenet, "lenet", full_epochs=5, small_epochs=3, threads_epochs=1, cosine=False, small_seeds=5)
