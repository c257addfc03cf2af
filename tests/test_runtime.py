"""The OpenCV serving runtime: built from the .h5, current, and equal to Keras on the test set."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from digits.config import PROJECT_ROOT, model_path
from digits.inference import load_classifier
from digits.runtime import MAX_PROBABILITY_DIFFERENCE, file_sha256, graph_note_path, graph_path
from tests.test_training import shipped_models


@pytest.mark.parametrize("name", shipped_models())
def test_each_shipped_model_has_a_current_graph_beside_it(name):
    h5 = model_path(name)
    note = json.loads(graph_note_path(h5).read_text())
    assert graph_path(h5).stat().st_size > 0
    assert note["source"] == h5.name
    assert note["source_sha256"] == file_sha256(h5), "the graph is stale: run the server or trainer once"
    assert note["largest_difference"] < MAX_PROBABILITY_DIFFERENCE


@pytest.mark.slow
@pytest.mark.parametrize("name", shipped_models())
def test_both_runtimes_give_the_same_probabilities_on_the_test_set(name, mnist_test):
    pictures = mnist_test.images.reshape(-1, 28, 28)
    opencv = load_classifier(name, runtime="opencv")
    tensorflow = load_classifier(name, runtime="tensorflow")
    assert (opencv.runtime, tensorflow.runtime) == ("opencv", "tensorflow")
    from_opencv = opencv.probabilities(pictures, max_batch=512)
    from_tensorflow = tensorflow.probabilities(pictures, max_batch=512)
    assert from_opencv.shape == from_tensorflow.shape == (10000, 10)
    assert np.abs(from_opencv - from_tensorflow).max() < MAX_PROBABILITY_DIFFERENCE
    assert (from_opencv.argmax(1) == from_tensorflow.argmax(1)).all()


def test_the_same_picture_gets_the_same_answer_alone_or_in_any_batch(mnist_test):
    classifier = load_classifier("dense")
    pictures = mnist_test.images[:70].reshape(-1, 28, 28)
    together = classifier.probabilities(pictures)
    alone = np.concatenate([classifier.probabilities(pictures[i:i + 1]) for i in range(5)])
    assert np.abs(together[:5] - alone).max() < 1e-6
    assert np.allclose(together.sum(axis=1), 1, atol=1e-5)


def test_a_stale_or_missing_graph_is_rebuilt_from_the_h5(tmp_path):
    shutil.copy(model_path("dense"), tmp_path / "mnist_dense.h5")
    h5 = tmp_path / "mnist_dense.h5"
    first = load_classifier("dense", tmp_path)  # no graph yet: built and written
    assert first.runtime == "opencv" and graph_path(h5).exists()
    note = json.loads(graph_note_path(h5).read_text())
    assert note["source_sha256"] == file_sha256(h5)
    graph_note_path(h5).write_text(json.dumps({**note, "source_sha256": "0" * 64}))
    graph_path(h5).write_bytes(b"not a graph")  # stale: must not be read at all
    again = load_classifier("dense", tmp_path)
    assert again.runtime == "opencv"
    assert json.loads(graph_note_path(h5).read_text())["source_sha256"] == file_sha256(h5)
    assert not list(tmp_path.glob(".*.partial"))


def test_a_model_opencv_cannot_run_is_served_by_tensorflow(tmp_path):
    from digits.quiet import import_keras

    keras = import_keras()
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(16, activation="gelu"),  # cv2.dnn has no Erf
                              keras.layers.Dense(10, activation="softmax")])
    model.save(tmp_path / "mnist_dense.h5")
    warnings: list[str] = []
    classifier = load_classifier("dense", tmp_path, log=warnings.append)
    assert classifier.runtime == "tensorflow"
    assert "TensorFlow" in warnings[0]
    assert not graph_path(tmp_path / "mnist_dense.h5").exists()
    with pytest.raises(RuntimeError):
        load_classifier("dense", tmp_path, runtime="opencv")


def test_a_model_opencv_fails_on_is_tried_in_a_child_and_served_by_tensorflow(tmp_path):
    from digits.quiet import import_keras

    keras = import_keras()
    keras.utils.set_random_seed(2)
    # OpenCV 5.0 cannot read a convolution with a bias from a graph; its new engine even dies
    # of a segmentation fault on it, hence the check in a child process.
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    model.save(tmp_path / "mnist_cnn.h5")
    warnings: list[str] = []
    classifier = load_classifier("cnn", tmp_path, log=warnings.append)
    assert classifier.runtime == "tensorflow"
    assert classifier.probabilities(np.zeros((3, 28, 28), np.uint8)).shape == (3, 10)
    assert "OpenCV" in warnings[0]


def test_an_unknown_runtime_is_refused():
    with pytest.raises(ValueError, match="runtime"):
        load_classifier("dense", runtime="onnx")


def test_the_server_loads_without_tensorflow_when_graphs_are_current():
    # TensorFlow costs 5 s and 700 MB at start; with current graphs the server never imports it.
    code = ("import sys; from digits.web import create_app; app = create_app(); "
            "print(sorted({c.runtime for c in app.extensions['classifiers'].values()}), "
            "'tensorflow' in sys.modules, 'keras' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["['opencv']", "False", "False"]
