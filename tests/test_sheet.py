"""Stage 2b, the sheet: a photographed sheet lying on a darker desk is read as paper, and the desk is not ink."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from digits.preprocess import ink_is_dark, page_from_grey
from digits.preprocess.sheet import light_sheet_on_dark, surround_of_sheet


def sheet_on_a_desk(desk: float = 0.25, margin: int = 60, numbers: int = 3) -> np.ndarray:
    """A grey photo (floats in [0, 1]) of a light sheet, turned a little, on a dark desk, with numbers of 0s on it."""
    height, width = 360, 520
    photo = np.full((height, width), desk, np.float32)
    corners = np.array([[margin, margin + 8], [width - margin, margin], [width - margin + 6, height - margin],
                        [margin + 4, height - margin + 5]], np.int32)
    cv2.fillConvexPoly(photo, corners, 0.85)
    for number in range(numbers):  # numbers of three 0s, on one line
        left = 100 + 130 * number
        for digit in range(3):
            cv2.ellipse(photo, (left + 28 * digit, 175), (8, 20), 0, 0, 360, 0.15, 4)
    return cv2.GaussianBlur(photo, (0, 0), 1.0)


def test_a_sheet_on_a_dark_desk_is_read_as_dark_ink_on_paper():
    photo = sheet_on_a_desk()
    border = np.concatenate([photo[0], photo[-1], photo[:, 0], photo[:, -1]])
    assert np.median(border) < 0.3  # the edge alone says light ink on a dark ground
    assert light_sheet_on_dark(photo) and ink_is_dark(photo) is True
    lines = page_from_grey(photo)
    assert len(lines) == 1
    assert [len([c for c in number.candidates if c.first == c.last]) for number in lines[0].numbers] == [3, 3, 3]


@pytest.mark.parametrize("margin", [12, 60])
def test_the_desk_around_the_sheet_is_not_a_mark(margin):
    # A strip of desk (the sheet nearly fills the photo) and a wide surround both stay out of the reading.
    lines = page_from_grey(sheet_on_a_desk(margin=margin))
    assert len(lines) == 1
    x, y, width, height = lines[0].box
    assert 85 <= x and x + width <= 440 and 150 <= y and y + height <= 200  # the writing alone


def test_a_circle_drawn_round_a_number_is_not_a_desk():
    # It encloses the writing as a ring of desk does, but it is as thick as the writing's strokes.
    mask = np.zeros((300, 400), np.uint8)
    for x in (150, 190, 230):
        cv2.line(mask, (x, 120), (x - 4, 180), 255, 6)
    cv2.ellipse(mask, (190, 150), (110, 70), 0, 0, 360, 255, 7)
    assert surround_of_sheet(mask) is None


def test_light_strokes_on_a_dark_ground_are_not_a_sheet():
    # A bold 0 drawn white on black: one light shape with a dark mark inside, but round and hollow.
    drawing = np.zeros((280, 280), np.float32)
    cv2.ellipse(drawing, (140, 140), (80, 110), 0, 0, 360, 1.0, 40)
    assert not light_sheet_on_dark(drawing)
    assert ink_is_dark(drawing) is False
    bar = np.zeros((280, 280), np.float32)  # a bold 1 filling a close crop: square-cornered, holding nothing
    cv2.rectangle(bar, (100, 10), (180, 270), 1.0, -1)
    assert not light_sheet_on_dark(bar)


def test_a_bold_digit_cut_by_the_edge_is_not_a_surround():
    mask = np.zeros((120, 200), np.uint8)
    cv2.line(mask, (40, 0), (40, 110), 255, 24)  # a marker's 1, cut by the top edge: alone
    assert surround_of_sheet(mask) is None
    cv2.line(mask, (120, 10), (150, 110), 255, 24)  # and beside another of the same pen
    assert surround_of_sheet(mask) is None
