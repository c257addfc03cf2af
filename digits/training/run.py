"""One training run, top to bottom: prepare the data, build, fit, evaluate, save the model and its card.

Like the keras-io examples, ``train`` reads as the list of its steps; each step is a short
function below it.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digits.augment import brush_drawn_versions, make_batch_feeder
from digits.config import MODEL_DIR, card_path, model_path
from digits.data import Digits, read_csv
from digits.preprocess.framing import to_model_input
from digits.profiles import DEFAULT_TRAINING_MODEL, ModelProfile, profile_named
from digits.training.card import model_card, write_card
from digits.training.evaluation import evaluate, predict_probabilities
from digits.training.fitting import Fitted, compile_model, fit

VALIDATION_SIZE = 5000


@dataclass
class TrainingConfig:
    """Everything one training run depends on."""

    model_name: str = DEFAULT_TRAINING_MODEL
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


@dataclass
class PreparedData:
    """The data of one run: the CSVs' digits, the validation split, brush-drawn copies, the batches."""

    train: Digits
    test: Digits
    train_rows: np.ndarray
    validation_rows: np.ndarray
    drawn: np.ndarray | None  # a brush-drawn copy of every training picture, for the finish
    feeder: object  # the Keras PyDataset of training batches
    validation: tuple[np.ndarray, np.ndarray]


@dataclass
class Run:
    """One run as it goes: its settings, then what each step produced."""

    config: TrainingConfig
    profile: ModelProfile
    main_epochs: int
    batch_size: int
    data: PreparedData | None = None
    fitted: Fitted | None = None

    @property
    def epochs(self) -> int:
        """Return all planned epochs: the main schedule's and the finish's."""
        finish = self.profile.recipe.finish
        return self.main_epochs + (finish.epochs if finish else 0)

    @property
    def model_file(self) -> Path:
        """Return where the trained .h5 goes."""
        return model_path(self.config.model_name, self.config.out_dir)


def train(config: TrainingConfig, log=print) -> dict:
    """Run one training as ``config`` says; return the model card (also written beside the .h5)."""
    run = plan_run(config)
    train_data, test_data = read_data(config)  # a bad CSV is reported before TensorFlow's slow start
    seed_everything(config.seed)
    run.data = prepare_data(run, train_data, test_data, log)
    model = run.profile.build()
    compile_model(model, run.profile.recipe)
    work_dir = Path(config.out_dir) / "checkpoints" / config.model_name
    Path(config.out_dir).mkdir(parents=True, exist_ok=True)
    run.fitted = fit(model, run.data.feeder, run.data.validation, run.profile.recipe, run.main_epochs,
                     work_dir, resume=config.resume, verbose=config.verbose,
                     extra_callbacks=config.extra_callbacks, log=log)
    # Evaluate on the test set, once, after model selection on the validation split.
    test_probabilities = predict_probabilities(model, run.data.test.images)
    results = evaluate(test_probabilities, run.data.test.labels)
    card = save_outputs(run, model, results, test_probabilities, log)
    shutil.rmtree(work_dir, ignore_errors=True)  # the run finished: its resume state is no longer needed
    return card


def plan_run(config: TrainingConfig) -> Run:
    """Check the settings and fill in the profile's defaults."""
    profile = profile_named(config.model_name)
    main_epochs = config.epochs or profile.recipe.epochs
    batch_size = config.batch_size or profile.recipe.batch_size
    if main_epochs < 1 or batch_size < 1:
        raise ValueError("epochs and batch size must be positive")
    return Run(config=config, profile=profile, main_epochs=main_epochs, batch_size=batch_size)


def read_data(config: TrainingConfig) -> tuple[Digits, Digits]:
    """Read the training and test CSVs, each maybe cut to its limit."""
    return (_limit(read_csv(config.train_csv), config.train_limit),
            _limit(read_csv(config.test_csv), config.test_limit))


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow and make TensorFlow's ops deterministic: same seed, same model."""
    from digits.quiet import import_keras

    keras = import_keras()
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def prepare_data(run: Run, train_data: Digits, test_data: Digits, log) -> PreparedData:
    """Split off validation digits, draw the finish's brush copies, and set up the batches."""
    config, recipe = run.config, run.profile.recipe
    validation_size = min(config.validation_size, max(len(train_data) // 10, 1))
    train_rows, validation_rows = split_validation(len(train_data), validation_size, config.seed)
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
                               drawn_share=finish.drawn_share if finish else 0.0, drawn_from_epoch=run.main_epochs)
    # The best epoch is chosen on what users send: with a finish, on each validation picture
    # both as written and as drawn with a brush.
    pictures = train_data.images[validation_rows].reshape(-1, 28, 28)
    labels = train_data.labels[validation_rows]
    if drawn is not None:
        pictures = np.concatenate([pictures, drawn[validation_rows]])
        labels = np.concatenate([labels, labels])
    return PreparedData(train=train_data, test=test_data, train_rows=train_rows, validation_rows=validation_rows,
                        drawn=drawn, feeder=feeder, validation=(to_model_input(pictures), labels))


def split_validation(count: int, validation_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (train indices, validation indices): a seeded random split of ``count`` rows."""
    if not 0 < validation_size < count:
        raise ValueError(f"validation size {validation_size} must be between 1 and {count - 1}")
    order = np.random.default_rng(seed).permutation(count)
    return np.sort(order[validation_size:]), np.sort(order[:validation_size])


def save_outputs(run: Run, model, results: dict, test_probabilities: np.ndarray, log) -> dict:
    """Save the .h5, the serving files made from it, the card and the plots; return the card."""
    path = run.model_file
    model.save(path, include_optimizer=False)
    serving = export_for_serving(model, path, run.data.test, log)
    card = model_card(run, model, results, serving)
    card_file = card_path(run.config.model_name, run.config.out_dir)
    write_card(card, card_file)
    if run.config.plots:
        from digits import plots

        written = plots.write_all(card["name"], run.fitted.history, results, run.data.test, test_probabilities,
                                  Path(run.config.out_dir) / "reports",
                                  finish_from=run.main_epochs if run.profile.recipe.finish else None)
        card["plots"] = [str(Path("reports") / written_path.name) for written_path in written]
        write_card(card, card_file)
    return card


def export_for_serving(model, path: Path, test_data: Digits, log) -> dict:
    """Make the preferred derived runtime's file from the saved model, checked on the whole test set."""
    from digits.runtimes import derived_runtimes

    pictures = to_model_input(test_data.images)
    reasons = []
    for runtime in derived_runtimes():
        try:
            runtime.from_model(model, path, pictures)
        except RuntimeError as error:
            log(f"{runtime.title} cannot serve {path.name}: {error}")
            reasons.append(f"{runtime.title}: {error}")
            continue
        note = runtime.export_note(path)
        log(f"{runtime.title} serves {path.name}: largest probability difference "
            f"{note['largest_difference']:.1e} on {note['checked_pictures']} test pictures")
        return note
    log(f"the server will run {path.name} with TensorFlow")
    return {"runtime": "tensorflow", "reason": "; ".join(reasons)}


def export_trained(config: TrainingConfig, log=print) -> dict:
    """Make a trained model's serving files again from its .h5, checked on the whole test set; update its card."""
    path = model_path(config.model_name, config.out_dir)
    card_file = card_path(config.model_name, config.out_dir)
    if not path.exists() or not card_file.exists():
        raise ValueError(f"no trained model {path.name} with its card; train it first: "
                         f"python trainer.py --model {config.model_name}")
    test_data = _limit(read_csv(config.test_csv), config.test_limit)
    from digits.quiet import import_keras

    model = import_keras().models.load_model(path, compile=False)
    model(to_model_input(test_data.images[:1]), training=False)  # a loaded model exports once it has run
    card = json.loads(card_file.read_text())
    card["serving"] = export_for_serving(model, path, test_data, log)
    write_card(card, card_file)
    return card


def _limit(data: Digits, limit: int | None) -> Digits:
    if limit is None or limit >= len(data):
        return data
    return Digits(images=data.images[:limit], labels=data.labels[:limit])
