"""What one training run is: its settings, the data it prepared, and what each step produced."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digits.config import MODEL_DIR, model_path
from digits.data import Digits
from digits.profiles import DEFAULT_TRAINING_MODEL, ModelProfile, profile_named

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
    examples: int | None = None  # synthetic training examples, for tasks that draw their own


@dataclass
class PreparedData:
    """The data of one run: the CSVs' digits, the validation split, and what the task made of them."""

    train: Digits
    test: Digits
    train_rows: np.ndarray
    validation_rows: np.ndarray
    feeder: object  # the Keras PyDataset of training batches
    validation: object  # (inputs, labels) or a PyDataset of validation batches
    drawn: np.ndarray | None = None  # a brush-drawn copy of every training picture, for the finish
    test_inputs: object = None  # what the task evaluates on, made from the test digits
    described: dict = field(default_factory=dict)  # what the card says of the data besides the CSVs


@dataclass
class Fitted:
    """What fitting left: the per-epoch history (a DataFrame), its seconds and the resume folder."""

    history: object
    seconds: float
    work_dir: Path


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


def plan_run(config: TrainingConfig) -> Run:
    """Check the settings and fill in the profile's defaults."""
    profile = profile_named(config.model_name)
    main_epochs = config.epochs or profile.recipe.epochs
    batch_size = config.batch_size or profile.recipe.batch_size
    if main_epochs < 1 or batch_size < 1:
        raise ValueError("epochs and batch size must be positive")
    return Run(config=config, profile=profile, main_epochs=main_epochs, batch_size=batch_size)


def split_validation(count: int, validation_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (train indices, validation indices): a seeded random split of ``count`` rows."""
    if not 0 < validation_size < count:
        raise ValueError(f"validation size {validation_size} must be between 1 and {count - 1}")
    order = np.random.default_rng(seed).permutation(count)
    return np.sort(order[validation_size:]), np.sort(order[:validation_size])


def validation_rows_of(run: Run, train_data: Digits) -> tuple[np.ndarray, np.ndarray]:
    """Split the run's training rows into (train, validation) as its config says (at most a tenth held out)."""
    validation_size = min(run.config.validation_size, max(len(train_data) // 10, 1))
    return split_validation(len(train_data), validation_size, run.config.seed)
