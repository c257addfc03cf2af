"""Loading a classifier: batches, and falling back to TensorFlow when ONNX cannot serve a model."""

from __future__ import annotations

import numpy as np
import pytest

from digits.inference import load_classifier
from digits.runtimes.onnx import onnx_path


def test_the_same_picture_gets_the_same_answer_alone_or_in_any_batch(mnist_test):
    classifier = load_classifier("dense")
    pictures = mnist_test.images[:70].reshape(-1, 28, 28)
    together = classifier.probabilities(pictures)
    alone = np.concatenate([classifier.probabilities(pictures[i:i + 1]) for i in range(5)])
    assert np.abs(together[:5] - alone).max() < 1e-6
    assert np.allclose(together.sum(axis=1), 1, atol=1e-5)


def test_a_model_onnx_cannot_hold_is_served_by_tensorflow(tmp_path):
    from digits.quiet import import_keras

    keras = import_keras()
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(16, activation="gelu"),  # ONNX's exporter has no Erfc
                              keras.layers.Dense(10, activation="softmax")])
    model.save(tmp_path / "mnist_dense.h5")
    warnings: list[str] = []
    classifier = load_classifier("dense", tmp_path, log=warnings.append)
    assert classifier.runtime == "tensorflow"
    assert "TensorFlow" in warnings[0] and "ONNX" in warnings[0]
    assert classifier.probabilities(np.zeros((3, 28, 28), np.uint8)).shape == (3, 10)
    assert not onnx_path(tmp_path / "mnist_dense.h5").exists()
    with pytest.raises(RuntimeError, match="cannot be exported to ONNX"):
        load_classifier("dense", tmp_path, runtime="onnx")


def test_an_unknown_runtime_is_refused():
    with pytest.raises(ValueError, match="runtime"):
        load_classifier("dense", runtime="opencv")
