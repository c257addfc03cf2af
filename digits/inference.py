"""Load a trained model once and classify batches of 28x28 pictures fast (never ``model.predict``).

Two runtimes: OpenCV's dnn module running the .h5 frozen into a graph (the default: no
TensorFlow import, a third of the time per call), and a compiled, warmed ``tf.function``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digits.config import (
    BATCH_BUCKETS,
    IMAGE_SIDE,
    MODEL_DIR,
    MODEL_PREFERENCE,
    NUM_CLASSES,
    RUNTIMES,
    card_path,
    model_path,
)
from digits.preprocess import to_model_input

WARM_BUCKETS = 64  # the server warms sizes up to this; bulk work traces bigger ones once
# OpenCV's time per picture is lowest in batches of 4 to 8 here and grows past 64 (cache misses);
# TensorFlow's keeps falling up to 512.
OPENCV_BEST_BATCH = 8


@dataclass
class Classifier:
    """A model ready to answer: a compiled, warmed function and the model's card."""

    name: str
    card: dict
    function: object = field(repr=False)  # (n, 28, 28, 1) float32 -> (n, 10) probabilities
    runtime: str = "tensorflow"
    best_batch: int = BATCH_BUCKETS[-1]  # the runtime's fastest batch size per picture

    @property
    def test_accuracy(self) -> float | None:
        return self.card.get("test_accuracy")

    def probabilities(self, pictures: np.ndarray, max_batch: int = WARM_BUCKETS) -> np.ndarray:
        """Return (n, 10) probabilities for uint8 pictures (n, 28, 28), one call per chunk."""
        batch = to_model_input(pictures)
        count = len(batch)
        outputs = []
        max_batch = min(max_batch, self.best_batch)
        for start in range(0, count, max_batch):
            chunk = batch[start:start + max_batch]
            bucket = next(size for size in BATCH_BUCKETS if size >= len(chunk))
            if bucket != len(chunk):
                padding = np.zeros((bucket - len(chunk), IMAGE_SIDE, IMAGE_SIDE, 1), np.float32)
                chunk = np.concatenate([chunk, padding])
            outputs.append(np.asarray(self.function(chunk))[: min(len(chunk), count - start)])
        return np.concatenate(outputs) if outputs else np.zeros((0, NUM_CLASSES), np.float32)


def wrap_model(model, name: str, card: dict | None = None) -> Classifier:
    """Compile ``model`` into a warmed tf.function with a fixed input signature."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([None, IMAGE_SIDE, IMAGE_SIDE, 1], tf.float32)],
                 reduce_retracing=True)
    def forward(batch):
        return model(batch, training=False)

    return warm(Classifier(name=name, card=card or {"name": name}, function=forward))


def warm(classifier: Classifier) -> Classifier:
    """Run each batch size the server uses once, so no request pays for tracing or planning."""
    for size in (size for size in BATCH_BUCKETS if size <= min(WARM_BUCKETS, classifier.best_batch)):
        classifier.function(np.zeros((size, IMAGE_SIDE, IMAGE_SIDE, 1), np.float32))
    return classifier


def load_classifier(name: str, model_dir: Path = MODEL_DIR, runtime: str = "auto", log=None) -> Classifier:
    """Load ``model/mnist_<name>.h5`` and its card, and return it ready and warmed.

    ``runtime`` "auto" serves through OpenCV when the frozen graph beside the .h5 is current
    (building it from the .h5 when it is missing or stale) and falls back to TensorFlow when
    OpenCV cannot give Keras' answers; "opencv" and "tensorflow" insist on one.
    """
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}")
    path = model_path(name, model_dir)
    if not path.exists():
        raise FileNotFoundError(f"no model file {path.name} in {Path(model_dir).name}/; "
                                f"train one with: python trainer.py --model {name}")
    card_file = card_path(name, model_dir)
    card = json.loads(card_file.read_text()) if card_file.exists() else {"name": path.stem}
    from digits import runtime as graphs

    net = graphs.load_graph(path) if runtime != "tensorflow" else None
    if net is not None:
        return warm(Classifier(name=name, card=card, function=net, runtime="opencv",
                                  best_batch=OPENCV_BEST_BATCH))

    from digits.quiet import import_keras

    model = import_keras().models.load_model(path, compile=False)
    if runtime != "tensorflow":
        try:
            net = graphs.export_graph(model, path)
            return warm(Classifier(name=name, card=card, function=net, runtime="opencv",
                                  best_batch=OPENCV_BEST_BATCH))
        except RuntimeError as error:
            if runtime == "opencv":
                raise
            (log or _warn)(f"{path.name}: serving with TensorFlow ({error})")
    return wrap_model(model, name, card)


def _warn(message: str) -> None:
    import sys

    print(f"digits: {message}", file=sys.stderr)


def available_models(model_dir: Path = MODEL_DIR) -> list[str]:
    """Return the names of the models present in ``model_dir``, most accurate first."""
    present = [name for name in MODEL_PREFERENCE if model_path(name, model_dir).exists()]

    def accuracy(name: str) -> float:
        card_file = card_path(name, model_dir)
        try:
            return float(json.loads(card_file.read_text()).get("test_accuracy", 0))
        except (OSError, ValueError):
            return 0.0

    return sorted(present, key=lambda name: (-accuracy(name), MODEL_PREFERENCE.index(name)))
