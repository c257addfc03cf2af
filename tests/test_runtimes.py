"""The runtimes: the ONNX file made from the .h5, kept current, and equal to Keras on the test set."""

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
from digits.runtimes import RUNTIME_CHOICES
from digits.runtimes.checks import MAX_PROBABILITY_DIFFERENCE
from digits.runtimes.onnx import onnx_note_path, onnx_path
from tests.helpers import shipped_helper_models, shipped_models


def test_the_registry_offers_onnx_first_and_tensorflow_as_the_fallback():
    assert RUNTIME_CHOICES == ("auto", "onnx", "tensorflow")


@pytest.mark.parametrize("name", shipped_models() + shipped_helper_models())
def test_each_shipped_model_has_a_current_onnx_file_beside_it(name):
    h5 = model_path(name)
    note = json.loads(onnx_note_path(h5).read_text())
    assert onnx_path(h5).stat().st_size > 0
    assert note["source"] == h5.name
    assert note["source_sha256"] == file_sha256(h5), "the .onnx is stale: run trainer.py --export-only"
    # Checked on the whole test set: 10,000 digits, the sequence reader's first 1,000 test strips,
    # the mark checker's 30,000 test pictures.
    assert note["checked_pictures"] >= 1000 and note["largest_difference"] < MAX_PROBABILITY_DIFFERENCE


@pytest.mark.slow
@pytest.mark.parametrize("name", shipped_models())
def test_every_runtime_gives_keras_probabilities_on_the_test_set(name, mnist_test):
    pictures = mnist_test.images.reshape(-1, 28, 28)
    from_onnx = load_classifier(name, runtime="onnx")
    from_keras = load_classifier(name, runtime="tensorflow")
    assert (from_onnx.runtime, from_keras.runtime) == ("onnx", "tensorflow")
    onnx_probabilities = from_onnx.probabilities(pictures, max_batch=512)
    keras_probabilities = from_keras.probabilities(pictures, max_batch=512)
    assert onnx_probabilities.shape == keras_probabilities.shape == (10000, 10)
    assert np.abs(onnx_probabilities - keras_probabilities).max() < MAX_PROBABILITY_DIFFERENCE
    assert (onnx_probabilities.argmax(1) == keras_probabilities.argmax(1)).all()


def test_a_stale_or_missing_onnx_file_is_made_again_from_the_h5(tmp_path):
    shutil.copy(model_path("dense"), tmp_path / "mnist_dense.h5")
    h5 = tmp_path / "mnist_dense.h5"
    first = load_classifier("dense", tmp_path)  # no .onnx yet: made and written
    assert first.runtime == "onnx" and onnx_path(h5).exists()
    note = json.loads(onnx_note_path(h5).read_text())
    assert note["source_sha256"] == file_sha256(h5)
    onnx_note_path(h5).write_text(json.dumps({**note, "source_sha256": "0" * 64}))
    onnx_path(h5).write_bytes(b"not a model")  # stale: must not be read at all
    again = load_classifier("dense", tmp_path)
    assert again.runtime == "onnx"
    assert json.loads(onnx_note_path(h5).read_text())["source_sha256"] == file_sha256(h5)
    assert not list(tmp_path.glob(".*.partial"))


def test_the_server_loads_without_tensorflow_when_the_onnx_files_are_current():
    # TensorFlow costs 5 s and 700 MB at start; with current .onnx files the server never imports it.
    code = ("import sys; from digits.web import create_app; from digits.web.state import service_of; "
            "app = create_app(); "
            "print(sorted({c.runtime for c in service_of(app).classifiers.values()}), "
            "'tensorflow' in sys.modules, 'keras' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["['onnx']", "False", "False"]
