"""How a derived runtime is checked against Keras before it may serve: the same probabilities, to 1e-4."""

from __future__ import annotations

import numpy as np

from digits.config import IMAGE_SIDE

# Every runtime must give Keras' probabilities to within this.
MAX_PROBABILITY_DIFFERENCE = 1e-4


def check_batch(size: int = 64, seed: int = 0, shape: tuple = (IMAGE_SIDE, IMAGE_SIDE, 1)) -> np.ndarray:
    """Return a seeded batch of blank, random and blob pictures of ``shape`` to compare the runtimes on.

    A dimension of the shape that is None (a strip of any width) becomes 96.
    """
    rng = np.random.default_rng(seed)
    batch = rng.random((size, *(96 if side is None else side for side in shape)), dtype=np.float32)
    batch[0] = 0
    batch[1 : size // 2] = (batch[1 : size // 2] > 0.8).astype(np.float32)
    return batch


def input_shape(model) -> tuple:
    """Return the shape of one input of a Keras model (without the batch axis)."""
    return tuple(model.input_shape[1:])


def keras_probabilities(model, pictures: np.ndarray) -> np.ndarray:
    """Return the Keras model's own probabilities for (n, 28, 28, 1) pictures, 256 at a time."""
    return np.concatenate([np.asarray(model(pictures[start:start + 256], training=False))
                           for start in range(0, len(pictures), 256)])


def largest_difference(runtime_title: str, got: np.ndarray, expected: np.ndarray) -> float:
    """Return the largest probability difference; raise RuntimeError if shapes differ or it is too big."""
    if got.shape != expected.shape:
        raise RuntimeError(f"{runtime_title} answers in shape {got.shape}, Keras in {expected.shape}")
    difference = float(np.abs(got - expected).max())
    if not difference < MAX_PROBABILITY_DIFFERENCE:  # also refuses NaN
        raise RuntimeError(f"{runtime_title}'s probabilities differ from Keras' by {difference:.2g}")
    return difference
