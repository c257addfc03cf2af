"""Stage 4a, frames: a box or ring drawn round a number is erased; digits, their loops and other marks are kept."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from digits.preprocess.frames import erase_frames
from digits.preprocess.segment import find_pieces
from digits.reading import read_picture
from digits.web.state import service_of
from tests.helpers import png_bytes


def erased(mask: np.ndarray) -> np.ndarray:
    """Return the mask with its frames erased, as the layout does (the mask itself where there are none)."""
    pieces, labels = find_pieces(mask)
    return erase_frames(mask, pieces, labels)


def ones(mask: np.ndarray, count: int = 3, left: int = 70, top: int = 40) -> None:
    """Draw ``count`` 1s, 60 pixels tall, 50 apart, in place."""
    for index in range(count):
        x = left + 50 * index
        cv2.line(mask, (x, top), (x + 6, top + 60), 255, 7)


def test_a_box_round_a_number_is_erased_and_its_digits_kept():
    mask = np.zeros((160, 320), np.uint8)
    ones(mask)
    cv2.rectangle(mask, (40, 20), (250, 120), 255, 6)
    cleaned = erased(mask)
    assert cleaned[:, :36].sum() == cleaned[:, 255:].sum() == cleaned[:16].sum() == cleaned[124:].sum() == 0
    assert np.array_equal(cleaned[30:110, 50:240], mask[30:110, 50:240])  # the 1s are untouched


def test_a_ring_round_a_number_touching_its_digits_is_erased_and_the_digits_kept():
    mask = np.zeros((180, 340), np.uint8)
    ones(mask, top=52)
    cv2.ellipse(mask, (135, 82), (125, 48), 0, 0, 360, 255, 6)  # touches the 1s' tops and feet
    cleaned = erased(mask)
    assert cleaned[:, :60].sum() == cleaned[:, 212:].sum() == 0
    pieces, _labels = find_pieces(cleaned)
    assert len(pieces) == 3 and all(64 <= piece.box.height <= 72 for piece in pieces)  # 67 as drawn


def test_a_ring_touching_the_only_number_in_the_picture_is_erased():
    # The 1s touch the ring, so ring and 1s are one piece and nothing else tells the digits' height.
    mask = np.zeros((180, 340), np.uint8)
    ones(mask, top=80)
    cv2.ellipse(mask, (123, 80), (110, 58), 0, 0, 360, 255, 6)  # nearly twice as tall as the 1s
    assert len(find_pieces(mask)[0]) == 1
    pieces, _labels = find_pieces(erased(mask))
    assert len(pieces) == 3 and all(66 <= piece.box.height <= 72 for piece in pieces)  # 67 as drawn


@pytest.mark.parametrize("draw", [
    # a 0 drawn with the pen's overshoot running on into its loop
    lambda mask: (cv2.ellipse(mask, (180, 75), (60, 45), 0, 0, 360, 255, 7),
                  cv2.line(mask, (180, 30), (192, 65), 255, 7)),
    # "100" with its 0s overlapping, the 1's foot running into the first
    lambda mask: (cv2.ellipse(mask, (180, 75), (38, 40), 0, 0, 360, 255, 7),
                  cv2.ellipse(mask, (244, 75), (38, 40), 0, 0, 360, 255, 7),
                  cv2.line(mask, (80, 35), (86, 115), 255, 7), cv2.line(mask, (86, 115), (142, 95), 255, 7)),
])
def test_a_lone_looped_mark_holding_a_sliver_is_not_a_frame(draw):
    mask = np.zeros((150, 360), np.uint8)
    draw(mask)
    assert len(find_pieces(mask)[0]) == 1
    assert erased(mask) is mask


def test_a_thin_printed_box_is_erased():
    mask = np.zeros((160, 320), np.uint8)
    ones(mask)
    cv2.rectangle(mask, (40, 20), (250, 120), 255, 1)  # a form's printed box
    cleaned = erased(mask)
    assert cleaned[:, 36:44].sum() == cleaned[:, 246:254].sum() == 0


def test_a_frame_across_a_ruled_line_is_found_once_the_line_is_erased():
    mask = np.zeros((160, 320), np.uint8)
    ones(mask)
    cv2.rectangle(mask, (40, 20), (250, 120), 255, 6)
    cv2.line(mask, (0, 120), (319, 120), 255, 2)  # the ruled line it was drawn on
    assert erased(mask) is mask  # it reaches the picture's edge: perhaps ruled paper
    mask[118:123, :36] = mask[118:123, 255:] = 0  # the ruled line erased
    assert erased(mask)[:, :46].sum() == 0


@pytest.mark.parametrize("draw", [
    lambda mask: cv2.ellipse(mask, (100, 70), (35, 50), 0, 0, 360, 255, 7),  # a 0
    lambda mask: (cv2.circle(mask, (100, 45), 24, 255, 7), cv2.circle(mask, (100, 95), 28, 255, 7)),  # an 8
    lambda mask: (cv2.circle(mask, (100, 90), 30, 255, 7),  # a 6
                  cv2.ellipse(mask, (130, 90), (60, 70), 0, 180, 260, 255, 7)),
    lambda mask: (cv2.circle(mask, (100, 55), 40, 255, 7), cv2.circle(mask, (100, 55), 16, 255, 6),  # a 9 looped
                  cv2.line(mask, (116, 55), (138, 55), 255, 6), cv2.line(mask, (138, 60), (130, 130), 255, 7)),  # twice
    lambda mask: (cv2.circle(mask, (100, 70), 60, 255, 6), cv2.circle(mask, (80, 55), 6, 255, -1),  # a smiley
                  cv2.circle(mask, (120, 55), 6, 255, -1), cv2.ellipse(mask, (100, 85), (30, 14), 0, 0, 180, 255, 6)),
])
def test_digits_with_loops_and_a_smiley_are_not_frames(draw):
    mask = np.zeros((140, 200), np.uint8)
    draw(mask)
    assert erased(mask) is mask


def test_a_digit_written_into_its_neighbours_loop_is_not_framed():
    mask = np.zeros((140, 220), np.uint8)
    cv2.ellipse(mask, (130, 70), (40, 50), 0, 0, 360, 255, 7)  # a 0
    cv2.line(mask, (80, 20), (125, 120), 255, 7)  # a 1 written through it: touching digits
    assert erased(mask) is mask


def test_a_boxed_answer_reads_as_its_digits(shipped_app, mnist_test):
    digits = mnist_test.images.reshape(-1, 28, 28)
    index = {digit: int(np.flatnonzero(mnist_test.labels == digit)[0]) for digit in range(10)}
    page = np.zeros((60, 160), np.uint8)
    for column, character in enumerate("7215"):
        page[14:42, 20 + 30 * column:48 + 30 * column] = digits[index[int(character)]]
    cv2.rectangle(page, (12, 8), (146, 48), 255, 2)
    service = service_of(shipped_app)
    reading = read_picture(png_bytes(255 - cv2.resize(page, None, fx=3, fy=3)),
                           service.readers(service.default_classifier))
    assert reading.text == "7215"
    assert all(digit.verdict == "digit" for digit in reading.digits)
