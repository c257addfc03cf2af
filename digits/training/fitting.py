"""The fit step: Keras' fit with checkpoints, so an interrupted run resumes where it stopped."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from digits.profiles import Recipe
from digits.training.plan import Fitted
from digits.training.schedules import finishing_learning_rate


def fit(model, feeder, validation, recipe: Recipe, main_epochs: int, work_dir: Path, *,
        resume: bool, verbose, extra_callbacks: list, log, first_callbacks: tuple = ()) -> Fitted:
    """Train ``model`` on the feeder's batches, keep the best epoch on validation, and load its weights.

    ``first_callbacks`` see each epoch's end before the checkpoints do (a task's own measures).
    """
    from digits.quiet import import_keras

    keras = import_keras()
    epochs = main_epochs + (recipe.finish.epochs if recipe.finish else 0)
    if not resume and work_dir.exists():
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    best_weights = work_dir / "best.weights.h5"
    log_csv = work_dir / "history.csv"
    previous_best = _best_so_far(log_csv) if (work_dir / "backup").exists() else None
    if previous_best is None and log_csv.exists():
        log_csv.unlink()
    if previous_best is not None:
        log(f"resuming the interrupted run (best validation accuracy so far {previous_best:.4%})")
    callbacks = [
        *first_callbacks,
        _epoch_sync(keras, feeder),
        keras.callbacks.LearningRateScheduler(finishing_learning_rate(recipe.learning_rate, main_epochs,
                                                                      recipe.finish)),
        keras.callbacks.ModelCheckpoint(best_weights, monitor="val_accuracy", mode="max", save_best_only=True,
                                        save_weights_only=True, initial_value_threshold=previous_best),
        keras.callbacks.CSVLogger(log_csv, append=True),
        keras.callbacks.BackupAndRestore(work_dir / "backup", delete_checkpoint=True),
        *extra_callbacks,
    ]
    if recipe.patience is not None:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=recipe.patience))
    if verbose == "auto":
        verbose = 1 if sys.stdout.isatty() else 2
    started = time.perf_counter()
    model.fit(feeder, validation_data=validation, epochs=epochs, callbacks=callbacks, verbose=verbose)
    seconds = time.perf_counter() - started
    model.load_weights(best_weights)
    import pandas as pd

    return Fitted(history=pd.read_csv(log_csv), seconds=seconds, work_dir=work_dir)


def _epoch_sync(keras, feeder):
    """Return a callback that keeps the batch feeder's epoch equal to Keras' epoch, also after a resume."""

    class EpochSync(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            feeder.set_epoch(epoch)

    return EpochSync()


def _best_so_far(log_csv: Path) -> float | None:
    """Return the best val_accuracy in a CSVLogger file, if a previous run left one."""
    if not log_csv.exists():
        return None
    import pandas as pd

    history = pd.read_csv(log_csv)
    return float(history["val_accuracy"].max()) if len(history) else None
