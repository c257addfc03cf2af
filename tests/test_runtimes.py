"""The runtimes: the OpenCV graph built from the .h5, kept current, and equal to Keras on the test set."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from digits.config import PROJECT_ROOT, model_path
from digits.files import file_sha256
from digits.inference import load_classifier
from digits.runtimes.checks import MAX_PROBABILITY_DIFFERENCE
from digits.runtimes.opencv import graph_note_path, graph_path
from tests.helpers import shipped_models


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


def test_the_server_loads_without_tensorflow_when_graphs_are_current():
    # TensorFlow costs 5 s and 700 MB at start; with current graphs the server never imports it.
    code = ("import sys; from digits.web import create_app; from digits.web.state import service_of; "
            "app = create_app(); "
            "print(sorted({c.runtime for c in service_of(app).classifiers.values()}), "
            "'tensorflow' in sys.modules, 'keras' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["['opencv']", "False", "False"]


def test_a_graph_checked_by_another_opencv_is_checked_again_in_a_child(tmp_path, monkeypatch):
    import cv2

    from digits.runtimes import opencv

    shutil.copy(model_path("dense"), tmp_path / "mnist_dense.h5")
    h5 = tmp_path / "mnist_dense.h5"
    load_classifier("dense", tmp_path)  # builds the graph and its note
    note = json.loads(graph_note_path(h5).read_text())
    assert note["opencv"] == cv2.__version__ and len(note["check_probabilities"]) == 64
    children = []
    real_child = opencv.run_graph_in_child
    monkeypatch.setattr(opencv, "run_graph_in_child", lambda *args: children.append(1) or real_child(*args))

    graph_note_path(h5).write_text(json.dumps({**note, "opencv": "4.0.0"}))  # as after an upgrade
    assert load_classifier("dense", tmp_path).runtime == "opencv"
    assert len(children) == 1  # checked in a child first, then read in-process
    again = json.loads(graph_note_path(h5).read_text())
    assert again["opencv"] == cv2.__version__ and again["graph_sha256"] == note["graph_sha256"]
    load_classifier("dense", tmp_path)
    assert len(children) == 1  # current again: no further check

    wrong = [[0.1] * 10 for _ in note["check_probabilities"]]
    graph_note_path(h5).write_text(json.dumps({**note, "opencv": "4.0.0", "check_probabilities": wrong}))
    assert load_classifier("dense", tmp_path).runtime == "opencv"  # the re-check failed: rebuilt from the .h5
    rebuilt = json.loads(graph_note_path(h5).read_text())
    assert rebuilt["opencv"] == cv2.__version__ and rebuilt["check_probabilities"] != wrong
