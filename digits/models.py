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


def build_cnn_small(dropout: float = 0.25, outputs: int = NUM_CLASSES, name: str = "mnist_cnn_small",
                    top_filters: int | None = None):
    """Return a small, quick CNN (two conv blocks, a third of ``top_filters`` if given), uncompiled."""
    keras = import_keras()
    layers = keras.layers
    model = keras.Sequential(name=name)
    model.add(keras.Input(shape=INPUT_SHAPE, name="image"))
    # Unpadded convolutions: 26x26 then 11x11 maps cost a third less than padded ones, for no loss.
    _conv_block(model, 32, 3)
    model.add(layers.MaxPooling2D())
    _conv_block(model, 64, 3)
    model.add(layers.MaxPooling2D())
    if top_filters:
        _conv_block(model, top_filters, 3)
    model.add(layers.Flatten())
    model.add(layers.Dropout(dropout))
    model.add(layers.Dense(128, activation="relu"))
    model.add(layers.Dropout(dropout))
    model.add(layers.Dense(outputs, activation="softmax", name="probabilities"))
    return model


def build_mark_checker():
    """Return the mark checker: the small CNN with a third convolution, two outputs (a digit, not a digit)."""
    # The third convolution, on the 5x5 maps, sees the whole mark's shape at once (loops, crossings,
    # how many strokes end), which tells a scribble from a digit: 0.08 ms a mark against 0.07.
    return build_cnn_small(outputs=2, name="mnist_marks", top_filters=128)


def build_sequence_reader(dropout: float = 0.25):
    """Return the sequence reader: strips 28 high and any width -> per 4 columns, 11 probabilities (CTC).

    Convolutions only (no recurrence), so it exports to ONNX and runs on strips of any width;
    each output frame sees about 50 strip columns, two digits' width. Class 0 is CTC's blank,
    class d + 1 the digit d. Uncompiled.
    """
    keras = import_keras()
    layers = keras.layers
    strip = keras.Input(shape=(IMAGE_SIDE, None, 1), name="strip")
    features = strip
    for filters, pool in ((32, True), (64, True), (96, False), (96, False)):
        features = layers.Conv2D(filters, 3, padding="same", use_bias=False)(features)
        features = layers.Activation("relu")(layers.BatchNormalization()(features))
        if pool:
            features = layers.MaxPooling2D((2, 2))(features)
    # 7 rows left: one convolution as tall as the strip leaves one row of frames.
    features = layers.Conv2D(128, (7, 1), use_bias=False)(features)
    features = layers.Dropout(dropout)(layers.Activation("relu")(layers.BatchNormalization()(features)))
    for _ in range(2):
        features = layers.Conv2D(128, (1, 5), padding="same", use_bias=False)(features)
        features = layers.Activation("relu")(layers.BatchNormalization()(features))
    frames = layers.Conv2D(NUM_CLASSES + 1, (1, 1), activation="softmax")(features)
    return keras.Model(strip, layers.Reshape((-1, NUM_CLASSES + 1), name="frames")(frames), name="mnist_sequence")
