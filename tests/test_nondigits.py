"""The mark checker's negatives: letters, symbols, shapes and scribbles, drawn like the written digits."""

import cv2
import numpy as np

from digits.nondigits import looping_curve, non_digits, pen_and_camera


def test_non_digits_are_framed_marks_that_depend_only_on_seed_and_index():
    first = non_digits(6, seed=3)
    assert first.shape == (6, 28, 28) and first.dtype == np.uint8
    assert all(picture.max() > 127 for picture in first)
    assert np.array_equal(first, non_digits(6, seed=3))
    assert not np.array_equal(first, non_digits(6, seed=4))


def test_a_thinner_pen_never_wears_a_thin_mark_away():
    # A 2-pixel line: eroding it with the checker's thinner pens would leave almost nothing,
    # which would teach the checker that thin marks are not digits.
    line = np.zeros((80, 80), np.float32)
    cv2.line(line, (10, 10), (70, 60), 1.0, 2)
    for seed in range(40):
        drawn = pen_and_camera(line, np.random.default_rng(seed))
        assert (drawn > 0.5).sum() >= 0.5 * (line > 0.5).sum()


def test_a_thick_mark_is_sometimes_drawn_with_a_thinner_pen():
    disc = np.zeros((80, 80), np.float32)
    cv2.circle(disc, (40, 40), 25, 1.0, 12)
    areas = [(pen_and_camera(disc, np.random.default_rng(seed)) > 0.5).sum() for seed in range(40)]
    assert min(areas) < 0.9 * (disc > 0.5).sum() < max(areas)


def test_a_looping_curve_fills_its_box_and_has_no_corners():
    points = looping_curve(np.random.default_rng(1))
    assert points.min() >= 10 - 1e-9 and points.max() <= 90 + 1e-9
    assert np.isclose(np.ptp(points, axis=0).max(), 80)
    steps = np.diff(points, axis=0)
    turns = np.abs(np.angle(np.exp(1j * np.diff(np.arctan2(steps[:, 1], steps[:, 0])))))
    moving = np.linalg.norm(steps[1:], axis=1) > 0.5
    assert np.median(turns[moving]) < np.deg2rad(30)
