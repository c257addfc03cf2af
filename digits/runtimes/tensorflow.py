"""The TensorFlow runtime: the .h5 itself, compiled once into a tf.function (the fallback)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digits.runtimes.base import BATCH_BUCKETS
from digits.runtimes.checks import input_shape


def compiled(model):
    """Return ``model`` compiled into a tf.function with a fixed input signature (no retracing)."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([None, *input_shape(model)], tf.float32)],
                 reduce_retracing=True)
    def forward(batch):
        return model(batch, training=False)

    return forward


class TensorFlowRuntime:
    """Runs the Keras model loaded from the .h5: always possible, 5 s to import and 700 MB."""

    name = "tensorflow"
    title = "TensorFlow"
    best_batch = BATCH_BUCKETS[-1]  # its time per picture keeps falling up to 512
    derived = False

    def load_current(self, h5_path: Path) -> None:
        """Return None: TensorFlow always starts from the Keras model."""
        return None

    def from_model(self, model, h5_path: Path, pictures: np.ndarray | None = None):
        """Return the model as a compiled function."""
        return compiled(model)

    def export_note(self, h5_path: Path) -> dict:
        """Return what the card records: the .h5 itself serves."""
        return {"runtime": self.name}


RUNTIME = TensorFlowRuntime()
