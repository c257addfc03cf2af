"""Stage 4a, underlines: a line drawn under a number is erased; digits' own strokes and other marks are kept."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from digits.preprocess import lay_out
from digits.preprocess.segment import find_pieces
from digits.preprocess.underlines import erase_underlines
from digits.reading import read_picture
from digits.web.state import service_of
from tests.helpers import png_bytes


def underlined_ones(gap: int, ones: int = 4) -> np.ndarray:
    """Return a mask of 1s, 60 pixels tall, and a line under them ``gap`` pixels below (0: touching)."""
    mask = np.zeros((140, 400), np.uint8)
    for index in range(ones):
        x = 60 + 50 * index
        cv2.line(mask, (x, 20), (x + 6, 80), 255, 7)
    cv2.line(mask, (40, 83 + gap), (60 + 50 * ones, 86 + gap), 255, 6)
    return mask


def erased(mask: np.ndarray) -> np.ndarray | None:
    pieces, labels = find_pieces(mask)
    return erase_underlines(mask, pieces, labels)


@pytest.mark.parametrize("gap", [0, 10])
def test_an_underline_touching_the_digits_or_not_is_erased_and_the_digits_kept(gap):
    mask = underlined_ones(gap)
    cleaned = erased(mask)
    assert cleaned is not None
    assert cleaned[100 + gap:].sum() == 0 if gap else cleaned[90:].sum() == 0  # the line is gone
    assert np.array_equal(cleaned[:78], mask[:78])  # the 1s are untouched
    (line,) = lay_out(mask)
    assert [len(number.parts) for number in line.numbers] == [4]
    assert all(part.box.height <= 70 for number in line.numbers for part in number.parts)


def test_a_stroke_crossing_the_underline_is_kept_where_it_crosses():
    mask = underlined_ones(0)
    cv2.line(mask, (110, 20), (110, 110), 255, 7)  # the tail of a digit, written through the line
    cleaned = erased(mask)
    assert cleaned is not None
    assert (cleaned[20:110, 110] > 0).all()
    assert cleaned[84:90, 300:330].sum() == 0


def test_a_line_through_the_middle_of_the_writing_is_not_an_underline():
    mask = np.zeros((140, 400), np.uint8)
    for index in range(4):
        cv2.line(mask, (60 + 50 * index, 20), (66 + 50 * index, 100), 255, 7)
    cv2.line(mask, (40, 60), (260, 62), 255, 6)  # struck through
    assert erased(mask) is None


def test_the_base_of_a_2_and_a_lone_dash_are_not_underlines():
    two = np.zeros((140, 200), np.uint8)
    cv2.ellipse(two, (80, 45), (30, 25), 0, 180, 360, 255, 7)
    cv2.line(two, (110, 45), (50, 100), 255, 7)
    cv2.line(two, (50, 100), (125, 100), 255, 7)  # its base, a little longer than the 2 is wide
    assert erased(two) is None
    dash = np.zeros((60, 300), np.uint8)
    cv2.line(dash, (20, 30), (280, 30), 255, 6)  # a long minus sign: nothing above it to underline
    assert erased(dash) is None


def test_an_underlined_total_reads_as_its_digits(shipped_app, mnist_test):
    digits = mnist_test.images.reshape(-1, 28, 28)
    index = {digit: int(np.flatnonzero(mnist_test.labels == digit)[0]) for digit in range(10)}
    page = np.zeros((80, 300), np.uint8)  # wide: a line across it would be a ruled line
    for column, character in enumerate("7215"):
        page[8:36, 10 + 30 * column:38 + 30 * column] = digits[index[int(character)]]
    cv2.line(page, (8, 32), (130, 33), 255, 2)  # touching the bottoms of the digits
    service = service_of(shipped_app)
    reading = read_picture(png_bytes(255 - cv2.resize(page, None, fx=3, fy=3)),
                           service.readers(service.default_classifier))
    assert reading.text == "7215"
    assert all(digit.verdict == "digit" for digit in reading.digits)


@pytest.mark.parametrize(("one", "line", "is_underline"), [
    (((90, 20), (96, 80)), ((60, 92), (130, 94)), True),  # apart from the 1, past it on both sides
    (((66, 20), (72, 80)), ((66, 92), (136, 94)), False),  # apart, but starting where the 1 does
    (((90, 20), (96, 80)), ((60, 84), (130, 86)), False),  # touching the 1: a foot, or a 2's base
])
def test_a_short_line_under_one_digit_is_erased_only_where_it_stands_apart_and_reaches_past_it(
        one, line, is_underline):
    mask = np.zeros((140, 200), np.uint8)
    cv2.line(mask, *one, 255, 7)  # a 1, 60 pixels tall
    cv2.line(mask, *line, 255, 6)  # 70 long: under 1.5 of the writing's heights
    cleaned = erased(mask)
    if not is_underline:
        assert cleaned is None
        return
    assert cleaned is not None and cleaned[86:].sum() == 0
    assert np.array_equal(cleaned[:86], mask[:86])
