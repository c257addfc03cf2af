"""Builders for the networks the trainer offers: a dense net and two convolutional nets (see digits.profiles)."""

from __future__ import annotations

from digits.config import IMAGE_SIDE, NUM_CLASSES
from digits.quiet import import_keras

INPUT_SHAPE = (IMAGE_SIDE, IMAGE_SIDE, 1)


def build_dense(hidden_units: int = 1024, hidden_layers: int = 2, dropout: float = 0.25):
    """Return the dense (fully connected, no convolution) classifier, uncompiled."""
    keras = import_keras()
    layers = keras.layers
    model = keras.Sequential(name="mnist_dense")
    model.add(keras.Input(shape=INPUT_SHAPE, name="image"))
    model.add(layers.Flatten())
    for _ in range(hidden_layers):
        model.add(layers.Dense(hidden_units, use_bias=False))
        model.add(layers.BatchNormalization())
        model.add(layers.Activation("relu"))
        model.add(layers.Dropout(dropout))
    model.add(layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"))
    return model


def _conv_block(model, filters: int, kernel_size: int, strides: int = 1, padding: str = "valid"):
    layers = import_keras().layers
    model.add(layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(layers.Activation("relu"))


def build_cnn(dropout: float = 0.4):
    """Return the accurate CNN (after Deotte: 32C3-32C3-32C5s2, 64C3-64C3-64C5s2, 128C4), uncompiled."""
    keras = import_keras()
    layers = keras.layers
    model = keras.Sequential(name="mnist_cnn")
    model.add(keras.Input(shape=INPUT_SHAPE, name="image"))
    for filters in (32, 64):
        _conv_block(model, filters, 3)
        _conv_block(model, filters, 3)
        _conv_block(model, filters, 5, strides=2, padding="same")
        model.add(layers.Dropout(dropout))
    _conv_block(model, 128, 4)
    model.add(layers.Flatten())
    model.add(layers.Dropout(dropout))
    model.add(layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"))
    return model


def build_cnn_small(dropout: float = 0.25):
    """Return a small, quick CNN (two conv blocks) for retraining in minutes, uncompiled."""
    keras = import_keras()
    layers = keras.layers
    model = keras.Sequential(name="mnist_cnn_small")
    model.add(keras.Input(shape=INPUT_SHAPE, name="image"))
    # Unpadded convolutions: 26x26 then 11x11 maps cost a third less than padded ones, for no loss.
    _conv_block(model, 32, 3)
    model.add(layers.MaxPooling2D())
    _conv_block(model, 64, 3)
    model.add(layers.MaxPooling2D())
    model.add(layers.Flatten())
    model.add(layers.Dropout(dropout))
    model.add(layers.Dense(128, activation="relu"))
    model.add(layers.Dropout(dropout))
    model.add(layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"))
    return model
