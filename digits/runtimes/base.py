"""The interface every runtime implements, and the batch sizes they are all planned for."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

# Batches are padded up to one of these sizes, so every shape a model meets is planned at start-up.
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)

Net = Callable[[np.ndarray], np.ndarray]  # (n, 28, 28, 1) float32 -> (n, 10) probabilities


class Runtime(Protocol):
    """A way to run a model: load what is current beside an .h5, or make it from the Keras model."""

    name: str  # as on the command line: --runtime NAME
    title: str  # as people write it, for messages
    best_batch: int  # its fastest batch size per picture
    derived: bool  # True: serves a file made from the .h5 (trainer.py writes it beside the .h5)

    def load_current(self, h5_path: Path) -> Net | None:
        """Return a ready net from the file beside ``h5_path`` if it is current, else None."""

    def from_model(self, model, h5_path: Path, pictures: np.ndarray | None = None) -> Net:
        """Return a ready net made from the Keras ``model``; a derived runtime checks and writes its file.

        ``pictures`` are what the check runs on (default: a seeded check batch). Raises
        RuntimeError, writing nothing, when this runtime cannot give the model's answers.
        """

    def export_note(self, h5_path: Path) -> dict:
        """Return what the model card records of this runtime's file (derived runtimes)."""
