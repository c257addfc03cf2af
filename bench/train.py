"""Training throughput: seconds per epoch, and time to reach 98% (dense) and 99% (cnn) test accuracy.

Run: python bench/train.py [--models dense,cnn] [--max-epochs 6]
Trains each model with its default profile (as trainer.py does) into a temporary folder and
measures the test accuracy after every epoch (for this report only; model selection never
sees the test set).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from digits.config import TEST_CSV, TRAIN_CSV
from digits.data import ensure_mnist_csvs, read_csv

TARGETS = {"dense": 0.98, "cnn": 0.99, "cnn-small": 0.99}


def make_watch(keras, test, target: float):
    """Return a callback that times epochs and stops once the test accuracy reaches ``target``."""
    from digits.training import predict_probabilities

    class Watch(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epoch_seconds, self.reached, self.start, self.epoch_start = [], None, 0.0, 0.0

        def on_train_begin(self, logs=None):
            self.start = time.perf_counter()

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch_start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.epoch_seconds.append(time.perf_counter() - self.epoch_start)
            predicted = predict_probabilities(self.model, test.images).argmax(axis=1)
            accuracy = float((predicted == test.labels).mean())
            if self.reached is None and accuracy >= target:
                self.reached = (time.perf_counter() - self.start, epoch + 1, accuracy)
                self.model.stop_training = True

    return Watch()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="dense,cnn")
    parser.add_argument("--max-epochs", type=int, default=6, help="stop each run after this many epochs")
    args = parser.parse_args()
    ensure_mnist_csvs(TRAIN_CSV, TEST_CSV, log=lambda message: None)
    from digits.profiles import PROFILES
    from digits.quiet import import_keras
    from digits.training import TrainingConfig, train

    keras = import_keras()
    test = read_csv(TEST_CSV)
    for name in args.models.split(","):
        target = TARGETS[name]
        watch = make_watch(keras, test, target)
        epochs = min(args.max_epochs, PROFILES[name].recipe.epochs)
        with tempfile.TemporaryDirectory() as folder:
            config = TrainingConfig(model_name=name, out_dir=Path(folder), epochs=epochs, plots=False,
                                    verbose=0, extra_callbacks=[watch], train_csv=TRAIN_CSV, test_csv=TEST_CSV)
            train(config, log=lambda message: None)
        per_epoch = sum(watch.epoch_seconds) / len(watch.epoch_seconds)
        reached = watch.reached
        reached_text = (f"{target:.0%} test accuracy after {reached[0]:.0f} s (epoch {reached[1]}, "
                        f"{reached[2]:.2%})" if reached else f"{target:.0%} not reached in {epochs} epochs")
        print(f"{name:10} {per_epoch:6.1f} s per epoch (incl. validation); {reached_text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
