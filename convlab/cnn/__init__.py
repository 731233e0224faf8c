"""A tiny CNN library in numpy, written to be read: layers, models, optimizers, training.

No Qt here: the app's training tab drives ``convlab.cnn.train.train`` from a worker thread.
"""

from convlab.cnn.functional import cross_entropy
from convlab.cnn.kernel_fit import fit_kernel
from convlab.cnn.layers import AvgPool2D, Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU
from convlab.cnn.model import Sequential, build_cnn, lenet, lenet5, load_model, mlp, small_cnn
from convlab.cnn.optim import SGD, Adam

__all__ = [
    "SGD",
    "Adam",
    "AvgPool2D",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "MaxPool2D",
    "ReLU",
    "Sequential",
    "build_cnn",
    "cross_entropy",
    "fit_kernel",
    "lenet",
    "lenet5",
    "load_model",
    "mlp",
    "small_cnn",
]
