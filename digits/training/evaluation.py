"""Measure a trained model once on the test set: probabilities, accuracy, per-class figures, confusion."""

from __future__ import annotations

import platform

import numpy as np

from digits.config import NUM_CLASSES
from digits.preprocess.framing import to_model_input


def predict_probabilities(model, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Return the model's probabilities for uint8 pictures, batch by batch, without ``predict``."""
    outputs = [np.asarray(model(to_model_input(images[start:start + batch_size]), training=False))
               for start in range(0, len(images), batch_size)]
    return np.concatenate(outputs) if outputs else np.zeros((0, NUM_CLASSES), np.float32)


def evaluate(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """Return accuracy, error count, per-class accuracy and the confusion matrix."""
    predicted = probabilities.argmax(axis=1)
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=int)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = {str(digit): round(float(confusion[digit, digit] / max(confusion[digit].sum(), 1)), 6)
                 for digit in range(NUM_CLASSES)}
    errors = int((predicted != labels).sum())
    return {
        "accuracy": float((predicted == labels).mean()),
        "errors": errors,
        "count": int(len(labels)),
        "per_class_accuracy": per_class,
        "confusion_matrix": confusion.tolist(),
    }


def library_versions() -> dict:
    """Return the versions of the libraries a model's numbers depend on."""
    import keras
    import pandas
    import tensorflow

    return {"python": platform.python_version(), "tensorflow": tensorflow.__version__,
            "keras": keras.__version__, "numpy": np.__version__, "pandas": pandas.__version__}


def architecture_summary(model) -> list[str]:
    """Return one readable line per layer: name, output shape, parameters."""
    lines = []
    for layer in model.layers:
        shape = getattr(layer, "output", None)
        shape = tuple(shape.shape) if shape is not None else ()
        lines.append(f"{layer.__class__.__name__} {shape[1:]} params={layer.count_params()}")
    return lines
