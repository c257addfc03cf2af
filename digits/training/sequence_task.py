"""The sequence task: the digits of a strip where neighbours may touch, read by CTC (the sequence reader).

The training CSV's digits are written into strips (digits.sequences); the validation strips come
from the held-out training rows and the test strips from the test CSV, so the reader never
trains on a test digit. The measure is whole strips read exactly.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from digits.ctc import greedy_decode
from digits.data import Digits
from digits.profiles import Recipe
from digits.sequences import LENGTHS, training_strips
from digits.training.plan import PreparedData, Run, validation_rows_of

VALIDATION_STRIPS = 3000
TEST_STRIPS = 5000
TEST_SEED = 2026  # fixed: the card's figure can be measured again on the same strips
MAX_DIGITS = max(LENGTHS)  # labels are padded to this many digits
CHECK_STRIPS = 1000  # a derived runtime is checked on the first test strips, all padded to one width


class SequenceTask:
    """Train on strips of training digits, choose the epoch by validation strips read exactly."""

    def prepare(self, run: Run, train_data: Digits, test_data: Digits, log) -> PreparedData:
        """Draw the training, validation and test strips and set up the batches."""
        config = run.config
        train_rows, validation_rows = validation_rows_of(run, train_data)
        count = config.examples or run.profile.recipe.examples
        started = time.perf_counter()
        strips, digits = training_strips(train_data.images[train_rows], train_data.labels[train_rows], count,
                                         config.seed)
        validation = training_strips(train_data.images[validation_rows], train_data.labels[validation_rows],
                                     min(VALIDATION_STRIPS, max(count // 10, 10)), config.seed + 1)
        test = test_strips(test_data, min(TEST_STRIPS, max(count // 10, 10)))
        log(f"drew {count} training strips, {len(validation[0])} validation and {len(test[0])} test strips "
            f"({time.perf_counter() - started:.0f} s)")
        return PreparedData(train=train_data, test=test_data, train_rows=train_rows, validation_rows=validation_rows,
                            feeder=strip_batches(strips, digits, run.batch_size, config.seed),
                            validation=strip_batches(*validation, run.batch_size, config.seed + 1, shuffle=False),
                            test_inputs=test,
                            described={"training_strips": count, "validation_strips": len(validation[0]),
                                       "test_strips": len(test[0]), "test_strips_seed": TEST_SEED})

    def compile(self, model, recipe: Recipe) -> None:
        """Compile with Adam at the recipe's rate and the CTC loss."""
        from digits.quiet import import_keras

        keras = import_keras()
        model.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate), loss=ctc_loss)

    def first_callbacks(self, data: PreparedData) -> list:
        """Return the callback that measures strips read exactly, as 'accuracy' and 'val_accuracy'."""
        from digits.quiet import import_keras

        keras = import_keras()
        validation = data.validation
        training_sample = data.feeder.sample(1000)

        class StripsReadExactly(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                logs["val_accuracy"] = read_exactly(self.model, *validation.strips_and_digits())
                logs["accuracy"] = read_exactly(self.model, *training_sample)

        return [StripsReadExactly()]

    def evaluate(self, model, data: PreparedData) -> tuple[dict, list]:
        """Return the test strips' figures: read exactly, overall and per number of digits."""
        strips, digits = data.test_inputs
        read = read_strips(model, strips)
        exact = np.array([list(got) == list(want) for got, want in zip(read, digits, strict=True)])
        lengths = np.array([len(want) for want in digits])
        return {"accuracy": float(exact.mean()), "errors": int((~exact).sum()), "count": int(len(exact)),
                "per_length_accuracy": {str(length): round(float(exact[lengths == length].mean()), 6)
                                        for length in sorted(set(lengths.tolist()))}}, read

    def calibration(self, model, data: PreparedData, outputs: list) -> None:
        """Return None: the sequence reader's confidences are not recalibrated."""
        return None

    def check_set(self, test_data: Digits) -> tuple[np.ndarray, str]:
        """Return the strips a loaded model is checked on: the first eight test strips."""
        return pad_strips(test_strips(test_data, 8)[0]), "the first eight test strips"

    def check_pictures(self, data: PreparedData) -> np.ndarray:
        """Return what a derived runtime is checked on: test strips, padded to one width."""
        return pad_strips(data.test_inputs[0][:CHECK_STRIPS])

    def check_pictures_for_test(self, test_data: Digits) -> np.ndarray:
        """Return the check strips made from the test CSV alone (for --export-only)."""
        return pad_strips(test_strips(test_data, CHECK_STRIPS)[0])

    def plots(self, name: str, run: Run, results: dict, outputs: list, out_dir: Path) -> list[Path]:
        """Write the learning curves (loss, and strips read exactly)."""
        from digits import plots

        out_dir.mkdir(parents=True, exist_ok=True)
        return [plots.plot_learning_curves(run.fitted.history, name, out_dir / f"{name}_learning_curves.png")]


def test_strips(test_data: Digits, count: int) -> tuple[list, list]:
    """Return the test strips: the test CSV's digits written into strips with a fixed seed."""
    return training_strips(test_data.images, test_data.labels, count, TEST_SEED)


def pad_strips(strips: list[np.ndarray]) -> np.ndarray:
    """Return uint8 strips (28, width) as one float32 batch (n, 28, widest, 1) in [0, 1], padded with paper."""
    batch = np.zeros((len(strips), 28, max(strip.shape[1] for strip in strips), 1), np.float32)
    for index, strip in enumerate(strips):
        batch[index, :, :strip.shape[1], 0] = strip / 255.0
    return batch


def read_strips(model, strips: list[np.ndarray], batch_size: int = 128) -> list[list[int]]:
    """Return the digits a Keras sequence reader reads in each strip (batches of similar widths)."""
    order = np.argsort([strip.shape[1] for strip in strips], kind="stable")
    read: list[list[int] | None] = [None] * len(strips)
    for start in range(0, len(order), batch_size):
        chosen = order[start:start + batch_size]
        frames = np.asarray(model(pad_strips([strips[i] for i in chosen]), training=False))
        for index, strip_frames in zip(chosen, frames, strict=True):
            read[index] = [digit.digit for digit in greedy_decode(strip_frames)]
    return read


def read_exactly(model, strips: list[np.ndarray], digits: list[np.ndarray]) -> float:
    """Return the share of strips whose digits the model reads exactly."""
    read = read_strips(model, strips)
    return float(np.mean([list(got) == list(want) for got, want in zip(read, digits, strict=True)]))


def varied_strip(strip: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return a strip slanted, turned, shifted and made bolder or finer a little (the same digits)."""
    import cv2

    height, width = strip.shape
    slant, turn = rng.uniform(-0.25, 0.25), np.deg2rad(rng.uniform(-3, 3))
    scale = rng.uniform(0.9, 1.05)
    matrix = np.array([[scale * np.cos(turn), -scale * np.sin(turn) + slant, 0],
                       [scale * np.sin(turn), scale * np.cos(turn), 0]], np.float32)
    centre = np.array([width / 2, height / 2], np.float32)
    matrix[:, 2] = centre - matrix[:, :2] @ centre + rng.uniform(-1.5, 1.5, 2)
    varied = cv2.warpAffine(strip, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=0)
    change = rng.random()
    if change < 0.15:
        varied = cv2.dilate(varied, np.ones((2, 2), np.uint8))
    elif change < 0.3:
        thinner = cv2.erode(varied, np.ones((2, 2), np.uint8))
        varied = thinner if thinner.max() > 128 else varied
    return varied


def ctc_loss(labels, frames):
    """Return CTC's loss per strip: ``labels`` are digits + 1 padded with 0, ``frames`` (n, T, 11) probabilities."""
    import tensorflow as tf

    labels = tf.cast(labels, tf.int32)
    return tf.nn.ctc_loss(labels=labels, logits=tf.math.log(frames + 1e-8),
                          label_length=tf.reduce_sum(tf.cast(labels > 0, tf.int32), axis=1),
                          logit_length=tf.fill([tf.shape(frames)[0]], tf.shape(frames)[1]),
                          logits_time_major=False, blank_index=0)


def strip_batches(strips: list, digits: list, batch_size: int, seed: int, shuffle: bool = True):
    """Return a Keras PyDataset of strip batches, each of strips of similar width padded to the widest."""
    from digits.quiet import import_keras

    keras = import_keras()

    class StripBatches(keras.utils.PyDataset):
        """Batches of (strips, digits + 1 padded with 0), a fixed order per epoch."""

        def __init__(self):
            super().__init__(workers=1, use_multiprocessing=False)
            order = np.argsort([strip.shape[1] for strip in strips], kind="stable")
            self.batches = [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
            self.epoch = 0
            self.order = self._order_for(0)

        def _order_for(self, epoch: int) -> np.ndarray:
            count = len(self.batches)
            order = np.random.default_rng([seed, epoch]).permutation(count) if shuffle else np.arange(count)
            # Keras learns the batches' shape from the first two: the narrowest and the widest go
            # first, so it learns that the width varies.
            ends = [0, count - 1] if count > 1 else [0]
            return np.concatenate([ends, [index for index in order if index not in ends]]).astype(int)

        def __len__(self) -> int:
            return len(self.batches)

        def __getitem__(self, index: int):
            chosen = self.batches[self.order[index]]
            labels = np.zeros((len(chosen), MAX_DIGITS), np.int32)
            for row, i in enumerate(chosen):
                labels[row, :len(digits[i])] = np.asarray(digits[i]) + 1
            batch = [strips[i] for i in chosen]
            if shuffle:  # training batches: each strip slanted, turned and thickened a little, anew each epoch
                rng = np.random.default_rng([seed, self.epoch, index, 3])
                batch = [varied_strip(strip, rng) for strip in batch]
            return pad_strips(batch), labels

        def set_epoch(self, epoch: int) -> None:
            """Move to ``epoch``'s order of batches (used when a run resumes)."""
            self.epoch = epoch
            self.order = self._order_for(epoch)

        def on_epoch_end(self) -> None:
            self.set_epoch(self.epoch + 1)

        def strips_and_digits(self) -> tuple[list, list]:
            """Return all its strips and their digits."""
            return strips, digits

        def sample(self, count: int) -> tuple[list, list]:
            """Return a fixed sample of its strips and their digits."""
            chosen = np.random.default_rng(seed).permutation(len(strips))[:count]
            return [strips[i] for i in chosen], [digits[i] for i in chosen]

    return StripBatches()
