"""Stage 4a, pieces: connected pieces of ink (specks, frame debris and line streaks dropped), and the
pieces of one digit merged (the hat of a 5, a broken 4, a faint stroke broken in two).

Every step is near-linear in the number of marks, and a picture with more marks than any page
of handwriting holds is refused (422), so no picture can tie up the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from digits.errors import PictureError

# A mark smaller than this share of the picture's working area is a speck, never a digit.
MIN_DIGIT_AREA_SHARE = 0.00015
# More marks than this (after specks) is not handwriting: a page of 4 lines of 20 digits holds
# fewer than 200 pieces, even with every digit broken in two.
MAX_MARKS = 400
# A fragment (much shorter than the digits) joins its nearest neighbour within this share of the
# digits' height; a fragment covers fewer rows than this share of the digits' height.
FRAGMENT_REACH = 0.25
FRAGMENT_HEIGHT = 0.6


class Box(NamedTuple):
    """A box in pixels: left, top, width, height."""

    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        """Return the first column right of the box."""
        return self.x + self.width

    @property
    def bottom(self) -> int:
        """Return the first row below the box."""
        return self.y + self.height


@dataclass(frozen=True)
class Piece:
    """One connected piece of ink: its box, how many pixels it covers, and its label in the label image."""

    box: Box
    area: int
    label: int


@dataclass(frozen=True)
class Group:
    """Pieces taken for one mark: the box around them, their total area and their labels."""

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


def find_pieces(mask: np.ndarray) -> tuple[list[Piece], np.ndarray]:
    """Return the pieces of ink that may belong to digits, and the component label image.

    Raises PictureError (422) when there are more than MAX_MARKS of them.
    """
    count, labels, stats, _centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    stats = stats[1:]
    if not len(stats):
        return [], labels
    height, width = mask.shape
    min_area = max(MIN_DIGIT_AREA_SHARE * width * height, 0.04 * float(stats[:, 4].max()), 2)
    big_enough = np.flatnonzero(stats[:, 4] >= min_area)
    if len(big_enough) > MAX_MARKS:
        raise PictureError(f"too many marks to read ({len(big_enough)}; at most {MAX_MARKS}): "
                           "this does not look like handwritten digits", status=422)
    pieces = [Piece(Box(*(int(value) for value in stats[index][:4])), int(stats[index][4]), int(index) + 1)
              for index in big_enough]
    tallest = max((piece.box.height for piece in pieces), default=0)
    pieces = [piece for piece in pieces if not _edge_debris(piece, mask, tallest)]
    streaks = _streaks_between_digits(pieces)
    return [piece for piece, streak in zip(pieces, streaks, strict=True) if not streak], labels


def _edge_debris(piece: Piece, mask: np.ndarray, tallest: int) -> bool:
    """A long flat mark along the top or bottom edge: a ruled line or shadow cut by the frame."""
    x, y, w, h = piece.box
    touches = y == 0 or y + h >= mask.shape[0]
    return touches and w >= 3 * h and h <= 0.3 * tallest


def _streaks_between_digits(pieces: list[Piece]) -> np.ndarray:
    """Flag flat streaks above or below two bigger marks at once: what is left of a ruled line.

    Merged as a part (the hat of a 5 is one), such a streak would join the two digits it runs along.
    """
    if not pieces:
        return np.zeros(0, bool)
    left = np.array([piece.box.x for piece in pieces])
    right = np.array([piece.box.right for piece in pieces])
    top = np.array([piece.box.y for piece in pieces])
    bottom = np.array([piece.box.bottom for piece in pieces])
    widths, heights = right - left, bottom - top
    areas = np.array([piece.area for piece in pieces])
    flat = np.flatnonzero(widths >= 3 * heights)
    streak = np.zeros(len(pieces), bool)
    for index in flat:  # few pieces are flat; each is compared with all others at once
        overlap = np.minimum(right[index], right) - np.maximum(left[index], left)
        # Only marks of its own line count: just above or below it, not a line further down the page.
        near = np.maximum(top - bottom[index], top[index] - bottom) <= 0.5 * heights
        spanned = (overlap > 0.5 * np.minimum(widths[index], widths)) & (areas > areas[index]) & near
        streak[index] = np.count_nonzero(spanned) >= 2
    return streak


def belong_together(a: Box, b: Box) -> bool:
    """Tell whether two marks' column ranges overlap by half the narrower one: one digit (a 5's hat)."""
    overlap = min(a.right, b.right) - max(a.x, b.x)
    return overlap > 0.5 * min(a.width, b.width)


def merge_pieces(pieces: list[Piece]) -> list[Group]:
    """Group pieces whose columns overlap enough into one mark each; return them left to right.

    A sweep from left to right: a group can only meet pieces that start before it ends, and a
    group never grows to the left, so only the groups still open are compared.
    """
    done: list[Group] = []
    open_groups: list[Group] = []
    for piece in sorted(pieces, key=lambda piece: (piece.box.x, piece.label)):
        done.extend(group for group in open_groups if group.box.right <= piece.box.x)
        open_groups = [group for group in open_groups if group.box.right > piece.box.x]
        current = Group.of(piece)
        merged = True
        while merged:
            merged = False
            for index, group in enumerate(open_groups):
                if belong_together(group.box, current.box):
                    current = group.joined(current)
                    del open_groups[index]
                    merged = True
                    break
        open_groups.append(current)
    return sorted(done + open_groups, key=lambda group: group.box.x)


def box_gap(a: Box, b: Box) -> float:
    """Return the shortest distance between two boxes (0 when they touch or overlap)."""
    gap_x = max(a.x - b.right, b.x - a.right, 0)
    gap_y = max(a.y - b.bottom, b.y - a.bottom, 0)
    return float(np.hypot(gap_x, gap_y))


def attach_fragments(groups: list[Group], rows_of: dict[int, tuple[int, int]], digit_height: float) -> list[Group]:
    """Join each fragment (much shorter than the digits) to its nearest neighbour if it is close.

    A 4 written in two strokes, the cap of a 7, a stroke broken by a faint pen: each part is
    short next to the digits, while a 1 beside a 0 is as tall as its neighbour. A fragment's
    height counts only the rows its ink covers (``rows_of``: label -> (top, bottom)): a dot
    above a short tick spans a tall box, yet is no digit. The closest pairs are joined first.
    """
    groups = sorted(groups, key=lambda group: group.box.x)
    reach = FRAGMENT_REACH * digit_height
    fragment = [_inked_rows(group, rows_of) < FRAGMENT_HEIGHT * digit_height for group in groups]
    pairs = []
    for i, group in enumerate(groups):
        if not fragment[i]:
            continue
        # Neighbours in reading order: a few to the left, and to the right while they start near.
        for j in [*range(max(0, i - 8), i), *range(i + 1, len(groups))]:
            if j > i and groups[j].box.x > group.box.right + reach:
                break
            gap = box_gap(group.box, groups[j].box)
            if gap <= reach:
                pairs.append((gap, i, j))
    owner = list(range(len(groups)))

    def root(index: int) -> int:
        while owner[index] != index:
            owner[index] = owner[owner[index]]
            index = owner[index]
        return index

    joined = {index: group for index, group in enumerate(groups)}
    for _gap, i, j in sorted(pairs):
        first, second = root(i), root(j)
        if first != second and _inked_rows(joined[first], rows_of) < FRAGMENT_HEIGHT * digit_height:
            joined[second] = joined[second].joined(joined.pop(first))
            owner[first] = second
    return sorted(joined.values(), key=lambda group: group.box.x)


def _inked_rows(group: Group, rows_of: dict[int, tuple[int, int]]) -> int:
    """Return how many rows a group's pieces cover: its box height less the gaps between them."""
    covered = 0
    reached = -1
    for top, bottom in sorted(rows_of[label] for label in group.labels):
        covered += max(0, bottom - max(top, reached))
        reached = max(reached, bottom)
    return covered


def digit_marks(pieces: list[Piece], rows_of: dict[int, tuple[int, int]]) -> list[Group]:
    """Return the marks of one line of writing, left to right: pieces merged, fragments attached.

    Marks far shorter than the tallest (a stray dot, a speck of a ruled line) are dropped.
    """
    groups = merge_pieces(pieces)
    if not groups:
        return []
    groups = attach_fragments(groups, rows_of, max(group.box.height for group in groups))
    tallest = max(group.box.height for group in groups)
    return [group for group in groups if group.box.height >= 0.3 * tallest]


def box_union(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> Box:
    """Return the box (x, y, w, h) around two boxes."""
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return Box(x0, y0, x1 - x0, y1 - y0)


def box_around(boxes: list[Box]) -> Box:
    """Return the box around several boxes."""
    around = boxes[0]
    for box in boxes[1:]:
        around = box_union(around, box)
    return Box(*around)
