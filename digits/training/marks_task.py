"""The marks task: is a framed mark a digit at all? Digits from the training CSV against letters, symbols,
shapes and scribbles drawn by digits.nondigits (the mark checker). Test digits come from the test CSV only."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from digits.data import Digits
from digits.nondigits import non_digits, written_digits
from digits.preprocess.framing import to_model_input
from digits.profiles import Recipe
from digits.training.calibrating import calibration_record
from digits.training.evaluation import predict_probabilities
from digits.training.plan import PreparedData, Run, validation_rows_of

DIGIT, NOT_A_DIGIT = 0, 1
TEST_SEED = 2026  # fixed: the card's figures can be measured again on the same pictures
TEST_NON_DIGITS = 10_000


class MarksTask:
    """Train a digit-or-not classifier, choose the epoch on held-out digits and non-digits."""

    def prepare(self, run: Run, train_data: Digits, test_data: Digits, log) -> PreparedData:
        """Write every training digit with a pen too, draw as many non-digits, and set up the batches."""
        from digits.augment import make_batch_feeder

        config = run.config
        train_rows, validation_rows = validation_rows_of(run, train_data)
        count = config.examples or run.profile.recipe.examples
        started = time.perf_counter()
        train = _labelled(train_data.images[train_rows], config.seed, non_digits(count, config.seed))
        validation = _labelled(train_data.images[validation_rows], config.seed + 1,
                               non_digits(2 * len(validation_rows), config.seed + 1))
        test = test_pictures(test_data)
        log(f"drew {count} non-digits and wrote {len(train_rows)} digits with a pen for training, "
            f"{len(validation[0])} validation and {len(test[0])} test pictures ({time.perf_counter() - started:.0f} s)")
        feeder = make_batch_feeder(*train, run.batch_size, config.seed, run.profile.recipe.augment)
        return PreparedData(train=train_data, test=test_data, train_rows=train_rows, validation_rows=validation_rows,
                            feeder=feeder, validation=(to_model_input(validation[0]), validation[1]), test_inputs=test,
                            described={"training_non_digits": count, "test_non_digits": TEST_NON_DIGITS,
                                       "test_seed": TEST_SEED, "non_digit_sources": "digits/nondigits.py"})

    def compile(self, model, recipe: Recipe) -> None:
        """Compile with Adam at the recipe's rate, cross-entropy and accuracy."""
        from digits.quiet import import_keras

        keras = import_keras()
        model.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate),
                      loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])

    def first_callbacks(self, data: PreparedData) -> list:
        """Return no callbacks: Keras measures accuracy itself."""
        return []

    def evaluate(self, model, data: PreparedData) -> tuple[dict, np.ndarray]:
        """Return the test figures: accuracy, digits taken for non-digits, non-digits taken for digits."""
        pictures, labels = data.test_inputs
        probabilities = predict_probabilities(model, pictures)
        return marks_results(probabilities, labels), probabilities

    def calibration(self, model, data: PreparedData, test_probabilities: np.ndarray) -> tuple[dict, tuple]:
        """Return the card's calibration, fitted on the validation digits and non-digits, and its test set."""
        pictures, labels = data.validation
        probabilities = np.concatenate([np.asarray(model(pictures[start:start + 1000], training=False))
                                        for start in range(0, len(pictures), 1000)])
        test = (test_probabilities, data.test_inputs[1])
        return calibration_record((probabilities, labels), test,
                                  f"{len(labels)} validation digits and non-digits (never trained on)"), test

    def check_set(self, test_data: Digits) -> tuple[np.ndarray, str]:
        """Return the pictures a loaded model is checked on: two test digits of each class, ten non-digits."""
        chosen = [index for digit in range(10) for index in np.flatnonzero(test_data.labels == digit)[:2]]
        pictures = np.concatenate([test_data.images[chosen].reshape(-1, 28, 28), non_digits(10, TEST_SEED)])
        return to_model_input(pictures), "two MNIST test digits of each class and ten test non-digits"

    def check_pictures(self, data: PreparedData) -> np.ndarray:
        """Return what a derived runtime is checked on: the test pictures."""
        return to_model_input(data.test_inputs[0])

    def check_pictures_for_test(self, test_data: Digits) -> np.ndarray:
        """Return the check pictures made from the test CSV alone (for --export-only)."""
        return to_model_input(test_pictures(test_data)[0])

    def plots(self, name: str, run: Run, results: dict, outputs: np.ndarray, out_dir: Path) -> list[Path]:
        """Write the learning curves."""
        from digits import plots

        out_dir.mkdir(parents=True, exist_ok=True)
        return [plots.plot_learning_curves(run.fitted.history, name, out_dir / f"{name}_learning_curves.png")]


def _labelled(digits: np.ndarray, seed: int, others: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return digits as written (the CSV's and a pen's) and non-digits, with their labels."""
    digits = np.asarray(digits, np.uint8).reshape(-1, 28, 28)
    pictures = np.concatenate([digits, written_digits(digits, seed), others])
    labels = np.concatenate([np.full(2 * len(digits), DIGIT), np.full(len(others), NOT_A_DIGIT)])
    return pictures, labels.astype(np.int64)


def test_pictures(test_data: Digits) -> tuple[np.ndarray, np.ndarray]:
    """Return the test pictures: the test CSV's digits, as written and with a pen, and fixed non-digits."""
    return _labelled(test_data.images, TEST_SEED, non_digits(TEST_NON_DIGITS, TEST_SEED))


def marks_results(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """Return accuracy, errors, and how often each kind was taken for the other (at the 50% line)."""
    predicted = probabilities.argmax(axis=1)
    digits, others = labels == DIGIT, labels == NOT_A_DIGIT
    return {"accuracy": float((predicted == labels).mean()), "errors": int((predicted != labels).sum()),
            "count": int(len(labels)),
            "digits_taken_for_non_digits": round(float((predicted[digits] != DIGIT).mean()), 6),
            "non_digits_taken_for_digits": round(float((predicted[others] != NOT_A_DIGIT).mean()), 6)}
