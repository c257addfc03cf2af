"""Load a trained model once and classify batches of 28x28 pictures fast (never ``model.predict``).

Which runtime runs it comes from the registry in digits.runtimes: by default the first that
gives Keras' answers (ONNX Runtime on the exported .onnx), TensorFlow as the fallback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digits.calibration import apply_temperature
from digits.config import IMAGE_SIDE, MODEL_DIR, NUM_CLASSES, card_path, model_path
from digits.ctc import DecodedDigit, greedy_decode
from digits.errors import ModelError, short_reason
from digits.health import verify
from digits.preprocess.framing import to_model_input
from digits.profiles import DIGIT_MODEL_NAMES, MARKS_MODEL, SEQUENCE_MODEL
from digits.runtimes import BATCH_BUCKETS, candidates
from digits.runtimes.tensorflow import RUNTIME as TENSORFLOW

WARM_BUCKETS = 64  # the server warms sizes up to this; bulk work traces bigger ones once


@dataclass
class Classifier:
    """A model ready to answer: a warmed function, the model's card, and what runs it."""

    name: str
    card: dict
    function: object = field(repr=False)  # (n, 28, 28, 1) float32 -> (n, 10) probabilities
    runtime: str = "tensorflow"
    best_batch: int = BATCH_BUCKETS[-1]  # the runtime's fastest batch size per picture

    @property
    def test_accuracy(self) -> float | None:
        """Return the test accuracy its card records, if any."""
        return self.card.get("test_accuracy")

    @property
    def temperature(self) -> float:
        """Return the calibration temperature its card records (1.0: none)."""
        return float(self.card.get("calibration", {}).get("temperature", 1.0))

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
        if not outputs:
            return np.zeros((0, NUM_CLASSES), np.float32)
        if not all(np.isfinite(output).all() for output in outputs):
            raise ModelError(f"model {self.name} answered a probability that is not a number")
        # Calibrated, whatever runs the model: the confidence shown is the one that means what it says.
        return apply_temperature(np.concatenate(outputs), self.temperature)

    def raw_probabilities(self, pictures: np.ndarray, max_batch: int = WARM_BUCKETS) -> np.ndarray:
        """Return the model's own probabilities, before calibration."""
        return Classifier(self.name, {**self.card, "calibration": {}}, self.function, self.runtime,
                          self.best_batch).probabilities(pictures, max_batch)


def wrap_model(model, name: str, card: dict | None = None) -> Classifier:
    """Return a Keras model, run by TensorFlow, as a warmed Classifier."""
    return warm(Classifier(name=name, card=card or {"name": name},
                           function=TENSORFLOW.from_model(model, Path(name))))


def warm(classifier: Classifier) -> Classifier:
    """Run each batch size the server uses once, so no request pays for tracing or planning."""
    for size in (size for size in BATCH_BUCKETS if size <= min(WARM_BUCKETS, classifier.best_batch)):
        classifier.function(np.zeros((size, IMAGE_SIDE, IMAGE_SIDE, 1), np.float32))
    return classifier


def load_classifier(name: str, model_dir: Path = MODEL_DIR, runtime: str = "auto", log=None) -> Classifier:
    """Load ``model/mnist_<name>.h5`` and its card, and return it ready and warmed.

    ``runtime`` "auto" tries the registry's runtimes in order: a derived runtime serves its
    file when it is current, or makes it from the .h5 (checked against Keras); one that
    cannot give Keras' answers is passed over with a warning. A named runtime insists.
    """
    net, chosen, card = load_runner(name, model_dir, runtime, log)
    return warm(Classifier(name=name, card=card, function=net, runtime=chosen.name, best_batch=chosen.best_batch))


def load_runner(name: str, model_dir: Path = MODEL_DIR, runtime: str = "auto", log=None):
    """Return (a ready net, the runtime that runs it, the card) for ``model/mnist_<name>.h5``."""
    choices = candidates(runtime)
    path = model_path(name, model_dir)
    if not path.exists():
        raise FileNotFoundError(f"no model file {path.name} in {Path(model_dir).name}/; "
                                f"train one with: python trainer.py --model {name}")
    card_file = card_path(name, model_dir)
    card = json.loads(card_file.read_text()) if card_file.exists() else {"name": path.stem}
    model, passed_over = None, []
    for index, choice in enumerate(choices):
        net = choice.load_current(path)
        if net is None:
            model = model or _keras_model(path)
            try:
                net = choice.from_model(model, path)
            except RuntimeError as error:
                if index + 1 == len(choices):
                    raise
                passed_over.append(f"{path.name}: serving with {choices[index + 1].title} ({error})")
                continue
        verify(net, card, path.name)  # a damaged model is refused here, in one line, without warnings first
        for message in passed_over:
            (log or _warn)(message)
        return net, choice, card
    raise AssertionError("unreachable: the last runtime either serves or raises")


def _keras_model(path: Path):
    """Load an .h5 with Keras, or raise ModelError in one line when the file is not a Keras model."""
    from digits.quiet import import_keras

    try:
        return import_keras().models.load_model(path, compile=False)
    except Exception as error:  # noqa: BLE001 - an empty, text or truncated file: all one answer for people
        raise ModelError(f"{path.name} cannot be read as a Keras model ({short_reason(error)}); "
                         "train it again or restore the file") from None


def _warn(message: str) -> None:
    import sys

    print(f"digits: {message}", file=sys.stderr)


def available_models(model_dir: Path = MODEL_DIR) -> list[str]:
    """Return the names of the models present in ``model_dir``, most accurate first."""
    present = [name for name in DIGIT_MODEL_NAMES if model_path(name, model_dir).exists()]

    def accuracy(name: str) -> float:
        card_file = card_path(name, model_dir)
        try:
            return float(json.loads(card_file.read_text()).get("test_accuracy", 0))
        except (OSError, ValueError):
            return 0.0

    return sorted(present, key=lambda name: (-accuracy(name), DIGIT_MODEL_NAMES.index(name)))


@dataclass
class SequenceReader:
    """The sequence reader ready to answer: strips of any width in, the digits of each out."""

    card: dict
    function: object = field(repr=False)  # (n, 28, width, 1) float32 -> (n, frames, 11)
    runtime: str = "onnx"
    most_per_call: int = 16

    def read(self, strips: list[np.ndarray]) -> list[list[DecodedDigit]]:
        """Return the digits read in each uint8 strip (28, width), calling the model on strips of like width."""
        order = np.argsort([strip.shape[1] for strip in strips], kind="stable")
        read: list = [None] * len(strips)
        for start in range(0, len(order), self.most_per_call):
            chosen = order[start:start + self.most_per_call]
            batch = np.zeros((len(chosen), IMAGE_SIDE, max(strips[i].shape[1] for i in chosen), 1), np.float32)
            for row, index in enumerate(chosen):
                batch[row, :, :strips[index].shape[1], 0] = strips[index] / 255.0
            for index, frames in zip(chosen, np.asarray(self.function(batch)), strict=True):
                read[index] = greedy_decode(frames)
        return read


def load_mark_checker(model_dir: Path = MODEL_DIR, runtime: str = "auto", log=None) -> Classifier | None:
    """Load the mark checker (model/mnist_marks.h5: a digit, or not) if it was trained, else return None."""
    if not model_path(MARKS_MODEL, model_dir).exists():
        return None
    return load_classifier(MARKS_MODEL, model_dir, runtime, log)


def load_sequence_reader(model_dir: Path = MODEL_DIR, runtime: str = "auto", log=None) -> SequenceReader | None:
    """Load the sequence reader (model/mnist_sequence.h5) if it was trained, else return None."""
    if not model_path(SEQUENCE_MODEL, model_dir).exists():
        return None
    net, chosen, card = load_runner(SEQUENCE_MODEL, model_dir, runtime, log)
    reader = SequenceReader(card=card, function=net, runtime=chosen.name)
    reader.read([np.zeros((IMAGE_SIDE, width), np.uint8) for width in (32, 64, 128)])  # warm
    return reader
