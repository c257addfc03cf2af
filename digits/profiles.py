"""The one registry of model kinds: each profile names its builder, its training recipe and its rank.

The trainer's choices and defaults, the builders and the server's preference all come from
``PROFILES``; adding an architecture is one new entry here (and its builder in digits.models).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from digits.augment import AugmentSettings
from digits.models import build_cnn, build_cnn_small, build_dense, build_mark_checker, build_sequence_reader


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
class Recipe:
    """Default hyper-parameters of one model kind; epochs and batch size can be overridden from the command line."""

    epochs: int
    batch_size: int
    learning_rate: float
    patience: int | None  # epochs without a better validation accuracy before stopping; None: never
    augment: AugmentSettings | None = field(default_factory=AugmentSettings)
    label_smoothing: float = 0.0
    finish: Finish | None = None
    examples: int = 0  # synthetic training examples drawn for tasks that make their own (sequence)


@dataclass(frozen=True)
class ModelProfile:
    """One model kind: its name on the command line, what it is, how it is built and trained."""

    name: str
    summary: str
    build: Callable[[], object]  # returns the uncompiled Keras model
    recipe: Recipe
    task: str = "digits"  # "digits": one digit per picture; "sequence": a strip's digits; "marks": digit or not


_ALL = (
    # After Deotte: rotation/zoom/shift augmentation, decaying LR, ~30 epochs; then four epochs
    # with half of each batch drawn with a brush. (No early stopping: it would skip the finish.)
    ModelProfile("cnn", "the accurate CNN", build_cnn,
                 Recipe(epochs=30, batch_size=128, learning_rate=1e-3, patience=None,
                        augment=AugmentSettings(rotation_degrees=10, shift_pixels=2.5, scale_range=(0.9, 1.1),
                                                shear=0.15, stroke_change_probability=0.1),
                        label_smoothing=0.05, finish=Finish(epochs=4, learning_rate=3e-4, drawn_share=0.5))),
    # Fourteen quick epochs of large batches with gentle augmentation: five and a half minutes here.
    ModelProfile("cnn-small", "a quick CNN for retraining in minutes", build_cnn_small,
                 Recipe(epochs=14, batch_size=256, learning_rate=3e-3, patience=5,
                        augment=AugmentSettings(rotation_degrees=6, shift_pixels=1.5, scale_range=(0.95, 1.05),
                                                shear=0.05))),
    # 15 augmented epochs of a 2x1024 net fit the 3-minute budget on 2 cores.
    ModelProfile("dense", "the dense network", build_dense,
                 Recipe(epochs=15, batch_size=128, learning_rate=1e-3, patience=6,
                        augment=AugmentSettings(rotation_degrees=8, shift_pixels=2, scale_range=(0.92, 1.08),
                                                shear=0.1))),
    # Reads marks where digits touch: 160,000 strips of training digits, drawn once (8 minutes),
    # each slanted and thickened anew in every epoch.
    ModelProfile("sequence", "the sequence reader for touching digits", build_sequence_reader,
                 Recipe(epochs=12, batch_size=64, learning_rate=2e-3, patience=None, augment=None,
                        examples=160_000), task="sequence"),
    # Tells digits from other marks: every training digit as written and with a pen, 60,000 non-digits;
    # twelve epochs, as at eight it was still learning (training accuracy 95.3%, now 98.4%).
    ModelProfile("marks", "the mark checker: a digit, or not a digit", build_mark_checker,
                 Recipe(epochs=12, batch_size=256, learning_rate=3e-3, patience=None,
                        augment=AugmentSettings(rotation_degrees=8, shift_pixels=1.5, scale_range=(0.9, 1.1),
                                                shear=0.1), examples=60_000), task="marks"),
)
# In the server's order of preference among models of equal accuracy: most accurate kind first.
PROFILES: dict[str, ModelProfile] = {profile.name: profile for profile in _ALL}
MODEL_NAMES = tuple(PROFILES)
DIGIT_MODEL_NAMES = tuple(name for name, profile in PROFILES.items() if profile.task == "digits")
SEQUENCE_MODEL = "sequence"  # the one model of the sequence task, loaded beside the digit models
MARKS_MODEL = "marks"  # the one model of the marks task: is a mark a digit at all?
DEFAULT_TRAINING_MODEL = "dense"  # what `python trainer.py` trains: the quickest to a good model


def profile_named(name: str) -> ModelProfile:
    """Return the profile called ``name``, or raise ValueError naming the choices."""
    if name not in PROFILES:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(PROFILES)}")
    return PROFILES[name]


def build_model(name: str):
    """Return the uncompiled model called ``name`` (one of PROFILES)."""
    return profile_named(name).build()
