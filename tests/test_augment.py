"""Training augmentation: brush-drawn copies framed like served inputs, the same in parallel."""

from __future__ import annotations

import numpy as np

from digits import pen
from digits.augment import brush_drawn, brush_drawn_versions


def test_brush_drawn_training_digits_look_like_served_inputs(mnist_test):
    rng = np.random.default_rng(0)
    same_shape = 0
    for picture in mnist_test.images[:100].reshape(-1, 28, 28):
        drawn = brush_drawn(picture, rng)
        assert drawn.shape == (28, 28) and drawn.dtype == np.uint8
        rows, columns = np.nonzero(drawn > 30)
        assert max(np.ptp(rows), np.ptp(columns)) <= 21  # in the 20x20 box, as MNIST and the server
        assert 10 <= rows.mean() <= 17 and 10 <= columns.mean() <= 17  # centred by mass
        # The same digit: its pieces and loops survive the brush (a 0 stays a ring, an 8 keeps two).
        same_shape += pen.shape_of(drawn / 255) == pen.shape_of(picture / 255)
    # At 28x28 a few MNIST digits have a pinhole loop or a one-pixel break that no brush keeps.
    assert same_shape >= 90
    again = brush_drawn(mnist_test.images[0].reshape(28, 28), np.random.default_rng(5))
    assert np.array_equal(again, brush_drawn(mnist_test.images[0].reshape(28, 28), np.random.default_rng(5)))


def test_brush_drawn_copies_are_the_same_in_parallel_and_in_one_process(mnist_test):
    pictures = mnist_test.images[:2400].reshape(-1, 28, 28)
    parallel = brush_drawn_versions(pictures, seed=3)
    assert parallel.shape == (2400, 28, 28)
    np.testing.assert_array_equal(parallel[[0, 1799, 2399]],
                                  np.stack([brush_drawn(pictures[i], np.random.default_rng([3, 7, i]))
                                            for i in (0, 1799, 2399)]))
