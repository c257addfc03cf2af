"""Stage 4, the page's layout: lines of writing -> numbers -> the marks of each number and the
ways to read them as digits.

A candidate is a mark, or two neighbouring marks that may be the two strokes of one digit (a 4
written in two strokes, a faint 0 broken in two), with a prior (a log-probability) for how
likely it is to be one digit before the model has looked: a mark, 0; two marks joined, less.
A mark wider than a digit may be several digits written into each other: it is also read by
the sequence reader (see digits.reading).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from digits.preprocess.frames import erase_frames
from digits.preprocess.lines import find_lines, writing_height
from digits.preprocess.segment import Box, Group, box_around, box_union, digit_marks, find_pieces
from digits.preprocess.underlines import erase_underlines

# Two neighbouring marks may be one digit when the gap between them is at most this share of
# the digits' height and together they are at most this many times as wide as tall; reading
# them as one digit counts JOIN_PRIOR against it, so marks are read apart unless joining is surer.
JOIN_GAP = 0.35
JOIN_ASPECT = 1.3
JOIN_PRIOR = 0.5
# A mark at least this many line heights wide may hold several digits that touch (3% of MNIST's
# digits are wider than 1.2 times their own height; two touching digits are about 1.2 to 1.8).
MAY_BE_SEVERAL = 0.75
# A gap wider than NUMBER_GAP_FLOOR of the line's height, and than NUMBER_GAP_SPREAD times the
# typical gap between the line's digits (the gaps under the floor, or where none is, under
# NUMBER_GAP of its height: digits written far apart), ends a number.
NUMBER_GAP = 1.0
NUMBER_GAP_FLOOR = 0.7
NUMBER_GAP_SPREAD = 2.5


@dataclass(frozen=True)
class Part:
    """A mark of a number: its box in working pixels and its own ink (box-local)."""

    box: Box
    mask: np.ndarray  # uint8 0/255, the box's size
    may_be_several: bool = False  # wide enough to hold several touching digits
    digit_height: float = 0.0  # the line's digit height, in working pixels


@dataclass(frozen=True)
class Candidate:
    """Parts ``first`` to ``last`` (inclusive) read as one digit, and what speaks for it beforehand."""

    first: int
    last: int
    joins_marks: bool = False  # the run joins two separate marks

    @property
    def log_prior(self) -> float:
        """Return how likely this run is to be one digit before the model looks at it (a log-probability)."""
        return math.log(JOIN_PRIOR) if self.joins_marks else 0.0


@dataclass(frozen=True)
class NumberLayout:
    """One number: its parts left to right, and the runs of parts that may be its digits."""

    box: Box
    parts: list[Part]
    candidates: list[Candidate]


@dataclass(frozen=True)
class LineLayout:
    """One line of writing: its numbers, left to right."""

    box: Box
    numbers: list[NumberLayout]


def lay_out(mask: np.ndarray) -> list[LineLayout]:
    """Return the lines of writing in a cleaned ink mask, top to bottom (none on a blank page)."""
    pieces, labels = find_pieces(mask)
    if not pieces:
        return []
    without_frames = erase_frames(mask, pieces, labels)
    if without_frames is not mask:
        mask = without_frames
        pieces, labels = find_pieces(mask)
        if not pieces:
            return []
    without_underlines = erase_underlines(mask, pieces, labels)
    if without_underlines is not None:
        pieces, labels = find_pieces(without_underlines)
        if not pieces:
            return []
    lines = find_lines(pieces, labels)
    page_height = writing_height(pieces)
    rows_of = {piece.label: (piece.box.y, piece.box.bottom) for line in lines for piece in line.pieces}
    laid_out = []
    for line in lines:
        marks = digit_marks(line.pieces, rows_of)
        marks = [mark for mark in marks if mark.box.height >= 0.3 * page_height]
        if not marks:
            continue
        height = line_height(marks)
        numbers = [number_layout(run, labels, height) for run in split_numbers(marks, height)]
        laid_out.append(LineLayout(box=box_around([number.box for number in numbers]), numbers=numbers))
    return laid_out


def line_height(marks: list[Group]) -> float:
    """Return the typical height of a line's digits."""
    heights = np.array([mark.box.height for mark in marks], float)
    return float(np.median(heights[heights >= 0.5 * heights.max()]))


def split_numbers(marks: list[Group], height: float) -> list[list[Group]]:
    """Split a line's marks (left to right) into numbers where the gap is clearly wider than between digits."""
    gaps = np.array([later.box.x - earlier.box.right for earlier, later in zip(marks, marks[1:], strict=False)],
                    float)
    # The typical gap between digits, from the gaps under the floor where there are any: on a short
    # line ("24 7") a space between numbers under a height would otherwise be half the median.
    small = gaps[gaps < NUMBER_GAP_FLOOR * height]
    small = small if len(small) else gaps[gaps < NUMBER_GAP * height]
    threshold = max(NUMBER_GAP_FLOOR * height, NUMBER_GAP_SPREAD * float(np.median(small)) if len(small) else 0.0)
    numbers, current = [], [marks[0]]
    for gap, mark in zip(gaps, marks[1:], strict=True):
        if gap > threshold:
            numbers.append(current)
            current = []
        current.append(mark)
    return [*numbers, current]


def number_layout(marks: list[Group], labels: np.ndarray, height: float) -> NumberLayout:
    """Return a number's parts (its marks, left to right) and the candidate digits among them."""
    parts: list[Part] = []
    candidates: list[Candidate] = []
    for index, mark in enumerate(marks):
        box = mark.box
        own = np.isin(labels[box.y:box.bottom, box.x:box.right], mark.labels)
        parts.append(Part(box=box, mask=np.where(own, 255, 0).astype(np.uint8),
                          may_be_several=box.width >= MAY_BE_SEVERAL * height, digit_height=height))
        candidates.append(Candidate(index, index))
        if index and may_be_one_digit(marks[index - 1].box, box, height):
            candidates.append(Candidate(index - 1, index, joins_marks=True))
    return NumberLayout(box=box_around([mark.box for mark in marks]), parts=parts, candidates=candidates)


def may_be_one_digit(left: Box, right: Box, digit_height: float) -> bool:
    """Tell whether two neighbouring marks may be the two parts of one digit.

    They must nearly touch, and together be no wider than a digit is: a 4 whose strokes do not
    meet, or a 0 broken in two, qualifies, while two digits written apart do not.
    """
    gap = right.x - left.right
    _x, _y, width, height = box_union(left, right)
    return gap <= JOIN_GAP * digit_height and width <= JOIN_ASPECT * height


def find_digit_boxes(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Return the boxes (x, y, w, h) of the parts in a cleaned ink mask, in reading order."""
    return [tuple(part.box) for line in lay_out(mask) for number in line.numbers for part in number.parts]
