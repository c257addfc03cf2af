"""Stage 4, segmentation: order, pieces of one digit merged, fragments, specks and streaks."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from digits.preprocess import (
    PictureError,
    extract_digits,
    find_digit_boxes,
    ink_mask,
    may_be_one_digit,
)
from digits.preprocess.segment import Box
from tests.helpers import png_bytes


def test_several_digits_are_ordered_left_to_right():
    picture = np.full((200, 600), 255, np.uint8)
    for index, x in enumerate((40, 240, 440)):
        cv2.circle(picture, (x + 60, 100), 30 + 10 * index, 0, 12)
    boxes = find_digit_boxes(ink_mask(1 - picture.astype(np.float32) / 255))
    assert len(boxes) == 3
    assert [box[0] for box in boxes] == sorted(box[0] for box in boxes)


def test_pieces_of_one_digit_are_merged():
    picture = np.full((300, 300), 255, np.uint8)
    cv2.line(picture, (120, 60), (200, 60), 0, 14)  # the hat of a 5, not touching the rest
    cv2.line(picture, (120, 80), (120, 140), 0, 14)
    cv2.ellipse(picture, (150, 190), (55, 50), 0, -120, 160, 0, 14)
    assert len(find_digit_boxes(ink_mask(1 - picture.astype(np.float32) / 255))) == 1


@pytest.mark.parametrize("beside, digits", [("dot over a tick", 1), ("a 1", 2)])
def test_a_dot_over_a_tick_beside_a_digit_is_part_of_it(beside, digits):
    # A dot above a short tick spans a box nearly as tall as the digit, but its ink covers less
    # than half the rows: a fragment of the 7 (a pen that skipped), not a digit of its own.
    picture = np.full((300, 340), 255, np.uint8)
    cv2.line(picture, (60, 60), (170, 60), 0, 14)  # a 7: its bar and its stem, one stroke
    cv2.line(picture, (170, 60), (100, 250), 0, 14)
    if beside == "a 1":
        cv2.line(picture, (215, 70), (215, 240), 0, 14)
    else:
        cv2.circle(picture, (215, 70), 9, 0, -1)
        cv2.line(picture, (215, 150), (210, 205), 0, 14)
    assert len(find_digit_boxes(ink_mask(1 - picture.astype(np.float32) / 255))) == digits


def test_specks_are_not_digits():
    picture = np.full((300, 300), 255, np.uint8)
    rng = np.random.default_rng(1)
    for x, y in rng.integers(5, 295, size=(15, 2)):
        picture[y:y + 2, x:x + 2] = 0
    with pytest.raises(PictureError) as raised:
        extract_digits(png_bytes(picture))
    assert raised.value.status == 422


def test_a_ruled_line_left_under_two_digits_does_not_join_them():
    mask = np.zeros((140, 200), np.uint8)
    cv2.line(mask, (60, 20), (60, 100), 255, 8)  # two 1s
    cv2.line(mask, (120, 20), (120, 100), 255, 8)
    cv2.line(mask, (40, 115), (140, 115), 255, 2)  # a piece of a ruled line below both
    assert len(find_digit_boxes(mask)) == 2
    hat = mask.copy()
    cv2.line(hat, (100, 8), (140, 8), 255, 6)  # a 5's hat over one digit still joins it
    assert [box[1] for box in find_digit_boxes(hat)] == [16, 5]


@pytest.mark.parametrize("left, right, expected", [
    ((0, 0, 30, 100), (40, 0, 20, 100), True),  # two strokes of one narrow digit, close together
    ((0, 0, 30, 100), (80, 0, 20, 100), False),  # far apart: two digits
    ((0, 0, 70, 100), (80, 0, 70, 100), False),  # together much wider than tall: two digits
])
def test_may_be_one_digit_needs_close_and_narrow_neighbours(left, right, expected):
    assert may_be_one_digit(Box(*left), Box(*right), digit_height=100) is expected
