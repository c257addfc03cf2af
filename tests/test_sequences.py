"""Training strips: reproducible, their digits as written, drawn the same in parallel and in one process."""

from __future__ import annotations

import numpy as np

from digits.sequences import LENGTHS, training_strip, training_strips


def test_a_strip_is_reproducible_and_holds_its_digits(mnist_test):
    images, labels = mnist_test.images[:500].reshape(-1, 28, 28), mnist_test.labels[:500]
    first = training_strip(images, labels, np.random.default_rng(3))
    again = training_strip(images, labels, np.random.default_rng(3))
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    strip, digits = first
    assert strip.shape[0] == 28 and strip.dtype == np.uint8 and 1 <= len(digits) <= max(LENGTHS)


def test_strips_are_the_same_in_parallel_and_in_one_process(mnist_test):
    images, labels = mnist_test.images[:2000].reshape(-1, 28, 28), mnist_test.labels[:2000]
    strips, digits = training_strips(images, labels, 2400, seed=5)
    assert len(strips) == len(digits) == 2400
    for index in (0, 1799, 2399):
        strip, chosen = training_strip(images, labels, np.random.default_rng([5, 11, index]))
        np.testing.assert_array_equal(strips[index], strip)
        np.testing.assert_array_equal(digits[index], chosen)
