"""Train a network on the MNIST CSVs, evaluate it on the test CSV, save the .h5, its card and plots."""

from __future__ import annotations

import dataclasses
import json
import math
import platform
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digits.augment import AugmentSettings, brush_drawn_versions, make_batch_feeder
from digits.config import MODEL_DIR, NUM_CLASSES, card_path, model_path
from digits.data import Digits, array_sha256, read_csv
from digits.runtime import file_sha256


@dataclass(frozen=True)
class Finish:
    """Epochs after the main schedule: a small learning rate, and brush-drawn digits in each batch.

    MNIST's pen strokes swell and thin; a digit drawn on a canvas has strokes of one width.
    Finishing on a mix teaches the model both at a cost within noise on clean digits (99.70%
    against 99.72%); mixing them in from the first epoch cost more (99.61%, an earlier pen model).
    """

    epochs: int
    learning_rate: float
    drawn_share: float  # share of each batch's pictures replaced by their brush-drawn copy


@dataclass(frozen=True)
class Profile:
    """Default hyper-parameters of one model kind; each can be overridden from the command line."""

    epochs: int
    batch_size: int
    learning_rate: float
    patience: int | None  # epochs without a better validation accuracy before stopping; None: never
    augment: AugmentSettings | None = field(default_factory=AugmentSettings)
    label_smoothing: float = 0.0
    finish: Finish | None = None


PROFILES = {
    # 15 augmented epochs of a 2x1024 net fit the 3-minute budget on 2 cores.
    "dense": Profile(epochs=15, batch_size=128, learning_rate=1e-3, patience=6,
                     augment=AugmentSettings(rotation_degrees=8, shift_pixels=2,
                                             scale_range=(0.92, 1.08), shear=0.1)),
    # Fourteen quick epochs of large batches with gentle augmentation: five and a half minutes here.
    "cnn-small": Profile(epochs=14, batch_size=256, learning_rate=3e-3, patience=5,
                         augment=AugmentSettings(rotation_degrees=6, shift_pixels=1.5,
                                                 scale_range=(0.95, 1.05), shear=0.05)),
    # After Deotte: rotation/zoom/shift augmentation, decaying LR, ~30 epochs; then four epochs
    # with half of each batch drawn with a brush. (No early stopping: it would skip the finish.)
    "cnn": Profile(epochs=30, batch_size=128, learning_rate=1e-3, patience=None,
                   augment=AugmentSettings(rotation_degrees=10, shift_pixels=2.5,
                                           scale_range=(0.9, 1.1), shear=0.15,
                                           stroke_change_probability=0.1),
                   label_smoothing=0.05, finish=Finish(epochs=4, learning_rate=3e-4, drawn_share=0.5)),
}
VALIDATION_SIZE = 5000


@dataclass
class TrainingConfig:
    """Everything one training run depends on."""

    model_name: str = "dense"
    train_csv: Path = Path("data/mnist_train.csv")
    test_csv: Path = Path("data/mnist_test.csv")
    out_dir: Path = MODEL_DIR
    epochs: int | None = None
    batch_size: int | None = None
    seed: int = 42
    train_limit: int | None = None  # use only the first N training rows (tests, quick looks)
    test_limit: int | None = None
    validation_size: int = VALIDATION_SIZE
    resume: bool = True
    plots: bool = True
    verbose: int | str = "auto"
    extra_callbacks: list = field(default_factory=list)  # benchmarks watch the run through these

    @property
    def profile(self) -> Profile:
        return PROFILES[self.model_name]


def split_validation(count: int, validation_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (train indices, validation indices): a seeded random split of ``count`` rows."""
    if not 0 < validation_size < count:
        raise ValueError(f"validation size {validation_size} must be between 1 and {count - 1}")
    order = np.random.default_rng(seed).permutation(count)
    return np.sort(order[validation_size:]), np.sort(order[:validation_size])


def cosine_learning_rate(base: float, total_epochs: int):
    """Return epoch -> learning rate, a cosine decay from ``base`` to 2% of it."""

    def schedule(epoch: int, _current: float = 0.0) -> float:
        progress = min(epoch / max(total_epochs - 1, 1), 1.0)
        return float(base * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress))))

    return schedule


def finishing_learning_rate(base: float, main_epochs: int, finish: Finish | None):
    """Return epoch -> learning rate: the cosine decay over the main epochs, then the finish's own.

    The finish starts again from its own small rate and decays along a half cosine.
    """
    main = cosine_learning_rate(base, main_epochs)

    def schedule(epoch: int, _current: float = 0.0) -> float:
        if finish is None or epoch < main_epochs:
            return main(epoch)
        return float(finish.learning_rate * 0.5 * (1 + math.cos(math.pi * (epoch - main_epochs) / finish.epochs)))

    return schedule


def predict_probabilities(model, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Return the model's probabilities for uint8 pictures, batch by batch, without ``predict``."""
    from digits.preprocess import to_model_input

    outputs = [np.asarray(model(to_model_input(images[start:start + batch_size]), training=False))
               for start in range(0, len(images), batch_size)]
    return np.concatenate(outputs) if outputs else np.zeros((0, NUM_CLASSES), np.float32)


def evaluate(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """Return accuracy, error count, per-class accuracy and the confusion matrix."""
    predicted = probabilities.argmax(axis=1)
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=int)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = {str(digit): round(float(confusion[digit, digit] / max(confusion[digit].sum(), 1)), 6)
                 for digit in range(NUM_CLASSES)}
    errors = int((predicted != labels).sum())
    return {
        "accuracy": float((predicted == labels).mean()),
        "errors": errors,
        "count": int(len(labels)),
        "per_class_accuracy": per_class,
        "confusion_matrix": confusion.tolist(),
    }


def library_versions() -> dict:
    """Return the versions of the libraries a model's numbers depend on."""
    import keras
    import pandas
    import tensorflow

    return {"python": platform.python_version(), "tensorflow": tensorflow.__version__,
            "keras": keras.__version__, "numpy": np.__version__, "pandas": pandas.__version__}


def architecture_summary(model) -> list[str]:
    """Return one readable line per layer: name, output shape, parameters."""
    lines = []
    for layer in model.layers:
        shape = getattr(layer, "output", None)
        shape = tuple(shape.shape) if shape is not None else ()
        lines.append(f"{layer.__class__.__name__} {shape[1:]} params={layer.count_params()}")
    return lines


class _EpochSync:
    """Keeps the batch feeder's epoch equal to Keras' epoch, also after a resume."""

    @staticmethod
    def make(keras, feeder):
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


def train(config: TrainingConfig, log=print) -> dict:
    """Run one training as ``config`` says; return the model card (also written beside the .h5)."""
    if config.model_name not in PROFILES:
        raise ValueError(f"unknown model {config.model_name!r}; choose one of {', '.join(PROFILES)}")
    profile = config.profile
    main_epochs = config.epochs or profile.epochs
    batch_size = config.batch_size or profile.batch_size
    if main_epochs < 1 or batch_size < 1:
        raise ValueError("epochs and batch size must be positive")
    finish = profile.finish
    epochs = main_epochs + (finish.epochs if finish else 0)

    # Prepare the data first: a bad CSV is reported before TensorFlow's slow start.
    train_data = read_csv(config.train_csv)
    test_data = read_csv(config.test_csv)

    # Setup: same seed, same model.
    from digits.quiet import import_keras

    keras = import_keras()
    import tensorflow as tf

    keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()

    train_data = _limit(train_data, config.train_limit)
    test_data = _limit(test_data, config.test_limit)
    validation_size = min(config.validation_size, max(len(train_data) // 10, 1))
    train_rows, validation_rows = split_validation(len(train_data), validation_size, config.seed)
    log(f"training on {len(train_rows)} pictures, validating on {len(validation_rows)}, "
        f"testing on {len(test_data)}")
    drawn = None
    if finish:
        started = time.perf_counter()
        drawn = brush_drawn_versions(train_data.images, config.seed)
        log(f"drew every training picture again with a brush for the last {finish.epochs} epochs "
            f"({time.perf_counter() - started:.0f} s)")
    feeder = make_batch_feeder(train_data.images[train_rows], train_data.labels[train_rows],
                               batch_size, config.seed, profile.augment,
                               drawn=None if drawn is None else drawn[train_rows],
                               drawn_share=finish.drawn_share if finish else 0.0, drawn_from_epoch=main_epochs)
    from digits.preprocess import to_model_input

    # The best epoch is chosen on what users send: with a finish, on each validation picture
    # both as written and as drawn with a brush.
    validation_pictures = train_data.images[validation_rows].reshape(-1, 28, 28)
    validation_labels = train_data.labels[validation_rows]
    if drawn is not None:
        validation_pictures = np.concatenate([validation_pictures, drawn[validation_rows]])
        validation_labels = np.concatenate([validation_labels, validation_labels])
    validation = (to_model_input(validation_pictures), validation_labels)

    # Build the model.
    from digits.models import build_model

    model = build_model(config.model_name)
    loss = keras.losses.SparseCategoricalCrossentropy()
    if profile.label_smoothing:
        loss = _smoothed_sparse_loss(keras, profile.label_smoothing)
    model.compile(optimizer=keras.optimizers.Adam(profile.learning_rate), loss=loss,
                  metrics=["accuracy"])

    # Train, with checkpoints so an interrupted run resumes where it stopped.
    out_dir = Path(config.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    work_dir = out_dir / "checkpoints" / config.model_name
    if not config.resume and work_dir.exists():
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
        _EpochSync.make(keras, feeder),
        keras.callbacks.LearningRateScheduler(finishing_learning_rate(profile.learning_rate, main_epochs,
                                                                      finish)),
        keras.callbacks.ModelCheckpoint(best_weights, monitor="val_accuracy", save_best_only=True,
                                        save_weights_only=True, initial_value_threshold=previous_best),
        keras.callbacks.CSVLogger(log_csv, append=True),
        keras.callbacks.BackupAndRestore(work_dir / "backup", delete_checkpoint=True),
        *config.extra_callbacks,
    ]
    if profile.patience is not None:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=profile.patience))
    verbose = config.verbose
    if verbose == "auto":
        verbose = 1 if sys.stdout.isatty() else 2
    started = time.perf_counter()
    model.fit(feeder, validation_data=validation, epochs=epochs, callbacks=callbacks, verbose=verbose)
    training_seconds = time.perf_counter() - started
    model.load_weights(best_weights)

    # Evaluate on the test set, once, after model selection on the validation split.
    import pandas as pd

    history = pd.read_csv(log_csv)
    test_probabilities = predict_probabilities(model, test_data.images)
    results = evaluate(test_probabilities, test_data.labels)
    path = model_path(config.model_name, out_dir)
    model.save(path, include_optimizer=False)
    runtime_note = _export_serving_graph(model, path, test_data, log)
    card = {
        "name": f"mnist_{config.model_name.replace('-', '_')}",
        "model": config.model_name,
        "file": path.name,
        "architecture": architecture_summary(model),
        "parameters": int(model.count_params()),
        "epochs_run": int(len(history)),
        "epochs_planned": epochs,
        "best_epoch": int(history["val_accuracy"].idxmax()) + 1,
        "batch_size": batch_size,
        "seed": config.seed,
        "learning_rate": profile.learning_rate,
        "augmentation": dataclasses.asdict(profile.augment) if profile.augment else None,
        "finish": dataclasses.asdict(finish) if finish else None,
        "training_seconds": round(training_seconds, 1),
        "validation_accuracy": round(float(history["val_accuracy"].max()), 6),
        "test_accuracy": round(results["accuracy"], 6),
        "test_errors": results["errors"],
        "test_count": results["count"],
        "per_class_accuracy": results["per_class_accuracy"],
        "confusion_matrix": results["confusion_matrix"],
        "data": {
            "train_csv": {"file": Path(config.train_csv).name, "rows": len(train_data),
                          "sha256": file_sha256(config.train_csv),
                          "images_sha256": array_sha256(train_data.images)},
            "test_csv": {"file": Path(config.test_csv).name, "rows": len(test_data),
                         "sha256": file_sha256(config.test_csv),
                         "images_sha256": array_sha256(test_data.images)},
            "validation_rows": int(len(validation_rows)),
            "validation_drawn_too": drawn is not None,
        },
        "history": {column: [round(float(value), 6) for value in history[column]]
                    for column in ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate")
                    if column in history},
        "serving": runtime_note,
        "versions": library_versions(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    card_path(config.model_name, out_dir).write_text(json.dumps(card, indent=2) + "\n")
    if config.plots:
        from digits import plots

        written = plots.write_all(card["name"], history, results, test_data, test_probabilities,
                                  out_dir / "reports", finish_from=main_epochs if finish else None)
        card["plots"] = [str(Path("reports") / p.name) for p in written]
        card_path(config.model_name, out_dir).write_text(json.dumps(card, indent=2) + "\n")
    # The run finished: its resume state is no longer needed.
    shutil.rmtree(work_dir, ignore_errors=True)
    return card


def _export_serving_graph(model, path: Path, test_data: Digits, log) -> dict:
    """Freeze the saved model for the OpenCV runtime, checked on the whole test set."""
    from digits.preprocess import to_model_input
    from digits.runtime import export_graph, graph_note_path, graph_path

    try:
        export_graph(model, path, to_model_input(test_data.images))
    except RuntimeError as error:
        log(f"the server will run {path.name} with TensorFlow: {error}")
        return {"runtime": "tensorflow", "reason": str(error)}
    note = json.loads(graph_note_path(path).read_text())
    log(f"serving graph {graph_path(path).name}: largest probability difference "
        f"{note['largest_difference']:.1e} on {note['checked_pictures']} test pictures")
    return {"runtime": "opencv", "graph": graph_path(path).name,
            "largest_difference": note["largest_difference"], "checked_pictures": note["checked_pictures"]}


def _smoothed_sparse_loss(keras, smoothing: float):
    """Return a sparse-label cross-entropy with label smoothing (Keras has it only for one-hot)."""
    import tensorflow as tf

    categorical = keras.losses.CategoricalCrossentropy(label_smoothing=smoothing)

    def loss(labels, probabilities):
        one_hot = tf.one_hot(tf.cast(tf.reshape(labels, [-1]), tf.int32), NUM_CLASSES)
        return categorical(one_hot, probabilities)

    return loss


def _limit(data: Digits, limit: int | None) -> Digits:
    if limit is None or limit >= len(data):
        return data
    return Digits(images=data.images[:limit], labels=data.labels[:limit])

