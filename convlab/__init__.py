"""ConvLab: a desktop convolution playground."""

__version__ = "0.1.0"
