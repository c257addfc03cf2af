"""Stage 4, segmentation: connected pieces of ink -> digits (pieces of one digit merged), left to right."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

# A mark smaller than this share of the picture's working area is a speck, never a digit.
MIN_DIGIT_AREA_SHARE = 0.00015
# Two neighbouring marks may be one digit when the gap between them is at most this share of
# the digits' height and together they are at most this many times as wide as tall.
JOIN_GAP = 0.35
JOIN_ASPECT = 1.3


class Box(NamedTuple):
    """A box in pixels: left, top, width, height."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Piece:
    """One connected piece of ink: its box, how many pixels it covers, and its label in the label image."""

    box: Box
    area: int
    label: int


@dataclass(frozen=True)
class Group:
    """Pieces taken for one digit: the box around them, their total area and their labels."""

    box: Box
    area: int
    labels: tuple[int, ...]

    @classmethod
    def of(cls, piece: Piece) -> Group:
        """Return the group made of one piece."""
        return cls(piece.box, piece.area, (piece.label,))

    def joined(self, other: Group) -> Group:
        """Return this group and ``other`` as one."""
        return Group(box_union(self.box, other.box), self.area + other.area, self.labels + other.labels)


@dataclass(frozen=True)
class DigitRegion:
    """Where one digit is in the mask: its box and the connected pieces that make it up."""

    box: tuple[int, int, int, int]
    pieces: tuple[int, ...]  # labels in the connected-components image


def find_digit_regions(mask: np.ndarray) -> tuple[list[DigitRegion], np.ndarray]:
    """Return the digits in a binary mask, left to right, and the component label image.

    Specks are dropped and the pieces of one digit (the hat of a 5, a broken 4, a faint
    stroke broken in two) are merged: pieces whose columns overlap, and small pieces close
    to a bigger one.
    """
    count, labels, stats, _centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    height, width = mask.shape
    pieces = [Piece(Box(*(int(value) for value in stats[index][:4])), int(stats[index][4]), index)
              for index in range(1, count)]
    if not pieces:
        return [], labels
    largest = max(piece.area for piece in pieces)
    min_area = max(MIN_DIGIT_AREA_SHARE * width * height, 0.04 * largest, 2)
    tallest = max((piece.box.height for piece in pieces if piece.area >= min_area), default=0)
    kept = [piece for piece in pieces if piece.area >= min_area and not _edge_debris(piece, mask, tallest)]
    groups = _merge_pieces([piece for piece in kept if not _streak_between_digits(piece, kept)])
    if not groups:
        return [], labels
    rows_of = {piece.label: (piece.box.y, piece.box.y + piece.box.height) for piece in kept}
    groups = _attach_fragments(groups, rows_of)
    tallest = max(group.box.height for group in groups)
    regions = [DigitRegion(box=tuple(group.box), pieces=group.labels) for group in groups
               if group.box.height >= 0.3 * tallest]
    return regions, labels


def find_digit_boxes(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Return the boxes (x, y, w, h) of the digits in a binary mask, left to right."""
    return [region.box for region in find_digit_regions(mask)[0]]


def _streak_between_digits(piece: Piece, pieces: list[Piece]) -> bool:
    """A flat streak above or below two bigger marks at once: what is left of a ruled line.

    Merged as a part (the hat of a 5 is one), it would join the two digits it runs along.
    """
    if piece.box.width < 3 * piece.box.height:
        return False
    spanned = [other for other in pieces
               if other is not piece and other.area > piece.area and _belong_together(piece.box, other.box)]
    return len(spanned) >= 2


def _edge_debris(piece: Piece, mask: np.ndarray, tallest: int) -> bool:
    """A long flat mark along the top or bottom edge: a ruled line or shadow cut by the frame."""
    x, y, w, h = piece.box
    touches = y == 0 or y + h >= mask.shape[0]
    return touches and w >= 3 * h and h <= 0.3 * tallest


def _merge_pieces(pieces: list[Piece]) -> list[Group]:
    """Group pieces into digits: pieces whose columns overlap enough are one digit."""
    groups = [Group.of(piece) for piece in sorted(pieces, key=lambda piece: piece.box.x)]
    merged = True
    while merged:
        merged = False
        for first in range(len(groups)):
            for second in range(len(groups)):
                if first != second and _belong_together(groups[first].box, groups[second].box):
                    groups[first] = groups[first].joined(groups[second])
                    del groups[second]
                    merged = True
                    break
            if merged:
                break
    return sorted(groups, key=lambda group: group.box.x)


def _belong_together(a: Box, b: Box) -> bool:
    """Pieces whose column ranges overlap by half the narrower one are one digit (a 5's hat)."""
    overlap = min(a.x + a.width, b.x + b.width) - max(a.x, b.x)
    return overlap > 0.5 * min(a.width, b.width)


def box_gap(a: Box, b: Box) -> float:
    """Return the shortest distance between two boxes (0 when they touch or overlap)."""
    gap_x = max(a.x - (b.x + b.width), b.x - (a.x + a.width), 0)
    gap_y = max(a.y - (b.y + b.height), b.y - (a.y + a.height), 0)
    return float(np.hypot(gap_x, gap_y))


def _attach_fragments(groups: list[Group], rows_of: dict[int, tuple[int, int]]) -> list[Group]:
    """Join each fragment (much shorter than the digits) to its nearest neighbour if it is close.

    A 4 written in two strokes, the cap of a 7, a stroke broken by a faint pen: each part is
    short next to the picture's digits, while a 1 beside a 0 is as tall as its neighbour.
    A fragment's height counts only the rows its ink covers (``rows_of``: label -> (top,
    bottom)): a dot above a short tick spans a tall box, yet is no digit.
    """
    digit_height = max(group.box.height for group in groups)
    while len(groups) > 1:
        fragments = [i for i, group in enumerate(groups)
                     if _inked_rows(group, rows_of) < 0.6 * digit_height]
        best = None
        for i in fragments:
            for j in range(len(groups)):
                if i != j:
                    gap = box_gap(groups[i].box, groups[j].box)
                    if gap <= 0.25 * digit_height and (best is None or gap < best[0]):
                        best = (gap, i, j)
        if best is None:
            break
        _gap, i, j = best
        groups[j] = groups[j].joined(groups[i])
        del groups[i]
    return sorted(groups, key=lambda group: group.box.x)


def _inked_rows(group: Group, rows_of: dict[int, tuple[int, int]]) -> int:
    """Return how many rows a group's pieces cover: its box height less the gaps between them."""
    covered = 0
    reached = -1
    for top, bottom in sorted(rows_of[label] for label in group.labels):
        covered += max(0, bottom - max(top, reached))
        reached = max(reached, bottom)
    return covered


def box_union(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> Box:
    """Return the box (x, y, w, h) around two boxes."""
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return Box(x0, y0, x1 - x0, y1 - y0)


def may_be_one_digit(left: DigitRegion, right: DigitRegion, digit_height: int) -> bool:
    """Tell whether two neighbouring regions may be the two parts of one digit.

    They must nearly touch, and together be no wider than a digit is: a 4 whose strokes do not
    meet, or a 0 broken in two, qualifies, while two digits written apart do not.
    """
    gap = right.box[0] - (left.box[0] + left.box[2])
    _x, _y, width, height = box_union(left.box, right.box)
    return gap <= JOIN_GAP * digit_height and width <= JOIN_ASPECT * height
