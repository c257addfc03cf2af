"""Lines of writing: found top to bottom, tilted or uneven, and never merged with the line above or below."""

from __future__ import annotations

import cv2
import numpy as np

from digits.preprocess.lines import find_lines
from digits.preprocess.segment import find_pieces


def bars(page: np.ndarray, rows: list[tuple[int, list[int]]], height: int = 40, slope: float = 0.0) -> np.ndarray:
    """Draw upright bars (like 1s) of ``height`` on ``page``: for each row (top, [x, ...]), tilted by ``slope``."""
    for top, xs in rows:
        for x in xs:
            y = int(top + slope * x)
            cv2.line(page, (x, y), (x + 4, y + height), 255, 6)
    return page


def lines_of(mask: np.ndarray) -> list[list[int]]:
    """Return, per line found, where its pieces start (the x each was drawn from: 3 right of its box)."""
    pieces, labels = find_pieces(mask)
    return [sorted(piece.box.x + 3 for piece in line.pieces) for line in find_lines(pieces, labels)]


def test_three_lines_are_found_top_to_bottom():
    mask = bars(np.zeros((300, 400), np.uint8), [(20, [40, 80, 120]), (120, [40, 80]), (220, [40, 80, 120, 160])])
    assert lines_of(mask) == [[40, 80, 120], [40, 80], [40, 80, 120, 160]]


def test_numbers_far_apart_on_a_tilted_line_stay_on_their_line():
    rows = [(30, [20, 60, 300, 340, 560]), (110, [20, 60, 100, 520, 560])]
    mask = bars(np.zeros((260, 620), np.uint8), rows, slope=0.05)  # about 3 degrees
    assert lines_of(mask) == [[20, 60, 300, 340, 560], [20, 60, 100, 520, 560]]


def test_a_number_far_along_a_line_joins_it_though_the_first_number_seems_to_climb():
    # The first number's digits drift down 5 px each, as a quick hand's do: alone, its centre line
    # would climb 48 px by the number far to its right, on the same row. The page's other lines are
    # level, and so is the page.
    mask = np.zeros((360, 640), np.uint8)
    for x, lift in zip((20, 60, 100, 140, 180), (-10, -5, 0, 5, 10), strict=True):
        bars(mask, [(40 + lift, [x])])
    bars(mask, [(40, [500, 540])])
    bars(mask, [(150, [20, 60, 100, 140]), (260, [20, 60, 100, 140])])
    assert lines_of(mask) == [[20, 60, 100, 140, 180, 500, 540], [20, 60, 100, 140], [20, 60, 100, 140]]


def test_uneven_baselines_and_lines_of_different_lengths():
    mask = np.zeros((260, 500), np.uint8)
    for x, lift in zip((30, 70, 110, 150, 190), (0, 6, -5, 8, -3), strict=True):
        bars(mask, [(30 + lift, [x])])
    bars(mask, [(130, [30])])
    assert lines_of(mask) == [[30, 70, 110, 150, 190], [30]]


def test_a_small_piece_goes_to_the_line_it_sits_in():
    mask = bars(np.zeros((260, 300), np.uint8), [(60, [40, 100]), (160, [40, 100])])
    cv2.line(mask, (101, 50), (120, 50), 255, 6)  # the hat of a 5, above the second digit of line one
    assert lines_of(mask) == [[40, 100, 101], [40, 100]]


def test_a_stroke_reaching_into_the_next_line_is_cut_between_the_lines():
    mask = bars(np.zeros((260, 300), np.uint8), [(40, [40, 90, 140]), (130, [40, 90, 140])])
    cv2.line(mask, (200, 40), (200, 170), 255, 6)  # a 7's long tail that touches the line below
    pieces, labels = find_pieces(mask)
    lines = find_lines(pieces, labels)
    assert len(lines) == 2
    tails = [[piece for piece in line.pieces if piece.box.x >= 195] for line in lines]
    assert all(len(tail) == 1 for tail in tails)
    assert tails[0][0].label != tails[1][0].label
    assert tails[0][0].box.bottom <= tails[1][0].box.y  # each part stays on its own line


def _broken_three(mask: np.ndarray, x: int, y: int, gap: int) -> None:
    """Draw a 3 about 100 wide and 130 tall whose pen lifted ``gap`` pixels across its middle."""
    cv2.ellipse(mask, (x, y + 30), (45, 30), 0, -150, 90, 255, 8)
    cv2.ellipse(mask, (x, y + 95 + gap), (50, 35), 0, -90, 150, 255, 8)


def test_a_digit_broken_across_its_middle_is_one_line_and_one_mark():
    mask = np.zeros((260, 300), np.uint8)
    _broken_three(mask, 150, 50, gap=12)
    pieces, labels = find_pieces(mask)
    assert len(pieces) == 2
    lines = find_lines(pieces, labels)
    assert len(lines) == 1 and len(lines[0].pieces) == 2


def test_a_narrow_digit_in_three_pieces_is_one_line():
    # A 9 drawn narrow, its loop and the end of its stem lifted off: together over twice as tall as
    # wide, which two digits one above the other can be too, but those are about as tall as each other.
    mask = np.zeros((300, 200), np.uint8)
    cv2.ellipse(mask, (100, 50), (30, 16), 0, 0, 360, 255, 6)  # the loop, 38 tall
    cv2.line(mask, (122, 80), (114, 160), 255, 6)  # the stem, 86 tall, 11 below the loop
    cv2.line(mask, (113, 172), (108, 192), 255, 6)  # the end of the stem
    pieces, labels = find_pieces(mask)
    assert len(pieces) == 3
    assert [len(line.pieces) for line in find_lines(pieces, labels)] == [3]
    # Two 0s as narrow, one above the other as close, stay two lines.
    mask = np.zeros((320, 200), np.uint8)
    cv2.ellipse(mask, (100, 70), (22, 55), 0, 0, 360, 255, 6)
    cv2.ellipse(mask, (100, 200), (22, 55), 0, 0, 360, 255, 6)
    assert len(find_lines(*find_pieces(mask))) == 2


def test_digits_one_above_the_other_stay_two_lines_even_close():
    mask = np.zeros((300, 300), np.uint8)
    cv2.ellipse(mask, (150, 70), (40, 55), 0, 0, 360, 255, 8)  # a 0
    cv2.ellipse(mask, (150, 200), (40, 55), 0, 0, 360, 255, 8)  # a 0 just below it: too tall for one digit
    assert len(find_lines(*find_pieces(mask))) == 2
    # Still apart when half the page is such stacks: a 1 beside each 0.
    bars(mask, [(20, [230]), (150, [230])], height=100)
    assert [len(line.pieces) for line in find_lines(*find_pieces(mask))] == [2, 2]


def test_pieces_one_above_the_other_far_apart_are_two_lines():
    mask = np.zeros((360, 300), np.uint8)
    _broken_three(mask, 150, 40, gap=70)  # the gap is half the digit's height: two marks, two lines
    assert len(find_lines(*find_pieces(mask))) == 2


def test_a_wide_digit_just_below_a_digit_of_the_line_above_stays_on_its_own_line():
    mask = np.zeros((260, 300), np.uint8)
    cv2.ellipse(mask, (100, 70), (35, 50), 0, 0, 360, 255, 8)  # a 0 ...
    cv2.ellipse(mask, (200, 70), (35, 50), 0, 0, 360, 255, 8)  # ... and another beside it
    cv2.ellipse(mask, (130, 179), (70, 35), 0, 0, 360, 255, 8)  # a broad 0 of the next line, close below
    assert [len(line.pieces) for line in find_lines(*find_pieces(mask))] == [2, 1]


def test_a_broken_digit_beside_two_lines_of_smaller_writing_loses_no_piece():
    mask = np.zeros((320, 600), np.uint8)
    bars(mask, [(40, [40, 100, 160, 220]), (150, [40, 100, 160, 220])], height=50)
    cv2.ellipse(mask, (430, 72), (80, 46), 0, -150, 90, 255, 8)  # a big, wide digit broken across
    cv2.ellipse(mask, (430, 187), (80, 46), 0, -90, 150, 255, 8)  # its middle, as tall as both lines
    pieces, labels = find_pieces(mask)
    lines = find_lines(pieces, labels)
    assert sorted(piece.label for line in lines for piece in line.pieces) == sorted(p.label for p in pieces)
    assert [len(line.pieces) for line in lines] == [5, 5]
