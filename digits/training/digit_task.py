"""The digit task: one digit per 28x28 picture, ten classes, the MNIST CSVs as they are (dense, cnn, cnn-small)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from digits.augment import brush_drawn_versions, make_batch_feeder
from digits.config import NUM_CLASSES
from digits.data import Digits
from digits.preprocess.framing import to_model_input
from digits.profiles import Recipe
from digits.training.calibrating import calibration_record
from digits.training.evaluation import evaluate, predict_probabilities
from digits.training.plan import PreparedData, Run, validation_rows_of


class DigitTask:
    """Train on the training CSV's pictures, choose the epoch on held-out ones, measure on the test CSV."""

    def prepare(self, run: Run, train_data: Digits, test_data: Digits, log) -> PreparedData:
        """Split off validation digits, draw the finish's brush copies, and set up the batches."""
        config, recipe = run.config, run.profile.recipe
        train_rows, validation_rows = validation_rows_of(run, train_data)
        log(f"training on {len(train_rows)} pictures, validating on {len(validation_rows)}, "
            f"testing on {len(test_data)}")
        finish, drawn = recipe.finish, None
        if finish:
            started = time.perf_counter()
            drawn = brush_drawn_versions(train_data.images, config.seed)
            log(f"drew every training picture again with a brush for the last {finish.epochs} epochs "
                f"({time.perf_counter() - started:.0f} s)")
        feeder = make_batch_feeder(train_data.images[train_rows], train_data.labels[train_rows],
                                   run.batch_size, config.seed, recipe.augment,
                                   drawn=None if drawn is None else drawn[train_rows],
                                   drawn_share=finish.drawn_share if finish else 0.0,
                                   drawn_from_epoch=run.main_epochs)
        # The best epoch is chosen on what users send: with a finish, on each validation picture
        # both as written and as drawn with a brush.
        pictures = train_data.images[validation_rows].reshape(-1, 28, 28)
        labels = train_data.labels[validation_rows]
        if drawn is not None:
            pictures = np.concatenate([pictures, drawn[validation_rows]])
            labels = np.concatenate([labels, labels])
        return PreparedData(train=train_data, test=test_data, train_rows=train_rows, validation_rows=validation_rows,
                            feeder=feeder, validation=(to_model_input(pictures), labels), drawn=drawn,
                            described={"validation_drawn_too": drawn is not None})

    def compile(self, model, recipe: Recipe) -> None:
        """Compile with Adam at the recipe's rate, cross-entropy (maybe label-smoothed) and accuracy."""
        from digits.quiet import import_keras

        keras = import_keras()
        loss = keras.losses.SparseCategoricalCrossentropy()
        if recipe.label_smoothing:
            loss = _smoothed_sparse_loss(keras, recipe.label_smoothing)
        model.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate), loss=loss, metrics=["accuracy"])

    def first_callbacks(self, data: PreparedData) -> list:
        """Return callbacks that must see each epoch first: none, Keras measures accuracy itself."""
        return []

    def evaluate(self, model, data: PreparedData) -> tuple[dict, np.ndarray]:
        """Return the test-set figures (accuracy, errors, per class, confusion) and the probabilities."""
        probabilities = predict_probabilities(model, data.test.images)
        return evaluate(probabilities, data.test.labels), probabilities

    def calibration(self, model, data: PreparedData, test_probabilities: np.ndarray) -> tuple[dict, tuple]:
        """Return the card's calibration, fitted on the validation pictures the best epoch was chosen on,
        and the test (probabilities, labels) it was checked on."""
        pictures, labels = data.validation
        validation_probabilities = np.concatenate([np.asarray(model(pictures[start:start + 1000], training=False))
                                                   for start in range(0, len(pictures), 1000)])
        drawn = " and their brush-drawn copies" if data.drawn is not None else ""
        test = (test_probabilities, data.test.labels)
        return calibration_record((validation_probabilities, labels), test,
                                  f"{len(data.validation_rows)} validation digits{drawn} (never trained on)"), test

    def check_set(self, test_data: Digits) -> tuple[np.ndarray, str]:
        """Return the pictures a loaded model is checked on: the first two test digits of each class."""
        chosen = [index for digit in range(10) for index in np.flatnonzero(test_data.labels == digit)[:2]]
        return to_model_input(test_data.images[chosen]), "the first two MNIST test digits of each class"

    def check_pictures(self, data: PreparedData) -> np.ndarray:
        """Return what a derived runtime is checked on: the whole test set."""
        return self.check_pictures_for_test(data.test)

    def check_pictures_for_test(self, test_data: Digits) -> np.ndarray:
        """Return the check pictures made from the test CSV alone (for --export-only)."""
        return to_model_input(test_data.images)

    def plots(self, name: str, run: Run, results: dict, outputs: np.ndarray, out_dir: Path) -> list[Path]:
        """Write the learning curves, the confusion matrix and the misread digits."""
        from digits import plots

        return plots.write_all(name, run.fitted.history, results, run.data.test, outputs, out_dir,
                               finish_from=run.main_epochs if run.profile.recipe.finish else None)


def _smoothed_sparse_loss(keras, smoothing: float):
    """Return a sparse-label cross-entropy with label smoothing (Keras has it only for one-hot)."""
    import tensorflow as tf

    categorical = keras.losses.CategoricalCrossentropy(label_smoothing=smoothing)

    def loss(labels, probabilities):
        one_hot = tf.one_hot(tf.cast(tf.reshape(labels, [-1]), tf.int32), NUM_CLASSES)
        return categorical(one_hot, probabilities)

    return loss
