"""Stage 5, framing: a digit scaled into the 20x20 box and centred by mass in 28x28, as MNIST."""

from __future__ import annotations

import numpy as np

from digits.preprocess import (
    centre_by_mass,
    to_mnist_square,
)


def test_crop_scales_the_ink_into_a_20_pixel_box():
    square = to_mnist_square(np.ones((50, 25), np.float32))  # a tight crop, 2:1
    rows, columns = np.nonzero(square)
    assert rows.max() - rows.min() + 1 == 20  # the long side becomes 20 pixels
    assert 9 <= columns.max() - columns.min() + 1 <= 11  # the aspect ratio is kept


def test_centre_of_mass_is_moved_to_the_middle():
    square = np.zeros((28, 28), np.float32)
    square[2:8, 3:9] = 1.0  # a blob in the top-left corner
    centred = centre_by_mass(square).astype(np.float64)
    rows, columns = np.indices(centred.shape)
    assert abs((rows * centred).sum() / centred.sum() - 13.5) <= 0.5
    assert abs((columns * centred).sum() / centred.sum() - 13.5) <= 0.5
