"""digits: train handwritten-digit recognisers on MNIST and serve them over HTTP."""

__version__ = "1.0.0"
