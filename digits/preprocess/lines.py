"""Stage 4b, lines: the pieces of ink grouped into lines of writing, read top to bottom.

Pieces about as tall as the writing form the lines: two of them are on one line when most of
the shorter one's rows are the other's rows too, and they are not far apart; stretches of a
line split by a wide gap are joined again where they lie on one (slightly tilted) centre line,
their own or one at the page's slope (a long stretch's own slope strays across a wide gap).
Short pieces (the hat of a 5, a dot) go to the line they sit in, and a piece tall enough to
reach into the next line (a 7 whose tail touches the 0 below) is cut between the lines, so a
digit never merges with the digit above or below it. Pieces one above the other that almost
touch (a 3 or an 8 drawn with a break across it) count as one while lines are found, unless
together they are shaped like two digits, not one, or as tall as two lines of the page's writing.
A stack whose other pieces are all much shorter than its tallest (a 9's loop lifted off its stem)
may be taller for its width than others: two digits one above the other are about as tall as each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from digits.preprocess.segment import Box, Piece, box_around

# Pieces from this share of the writing's height up to TALL make lines; taller ones may span two.
LINE_FORMING = 0.5
TALL = 1.7
# Two line-forming pieces are on one line when they share this share of the shorter one's rows,
# and are at most this many heights apart; stretches of a line join across any gap when each
# one's centre line passes within this share of a height of the other's centre.
SHARED_ROWS = 0.5
NEAR = 6.0
ON_THE_LINE = 0.45
MAX_SLOPE = 0.12  # about 7 degrees: a page tilted more is not read line by line
MAX_STRETCHES = 80
# Pieces stacked one above the other are one digit's when their columns overlap by half the
# narrower one and at most this share of the taller one's height lies between them; lines of
# writing lie further apart (people leave about half a digit's height and more between lines).
# Together they are at most STACK_ASPECT times as tall as wide, as a digit is (two digits one
# above the other are about 2 to 4 times as tall as wide), unless they all but touch.
STACK_GAP = 0.2
STACK_ASPECT = 1.8
# A stack whose other pieces are all under BROKEN_PART of its tallest one's height is one digit
# with a piece come apart (the top of a 3, a 9's loop), not two digits, which are about as tall as
# each other: it may be up to BROKEN_ASPECT times as tall as wide.
BROKEN_PART = 0.5
BROKEN_ASPECT = 2.6
TOUCHING_GAP = 0.05  # pieces this close are one digit's, however tall together


@dataclass
class Line:
    """One line of writing: its pieces and its centre line (y = slope * x + intercept)."""

    pieces: list[Piece] = field(default_factory=list)
    slope: float = 0.0
    intercept: float = 0.0
    height: float = 0.0  # the typical height of its digits

    def centre_at(self, x: float) -> float:
        """Return the line's centre row at column ``x``."""
        return self.slope * x + self.intercept

    @property
    def box(self) -> Box:
        """Return the box around the line's pieces."""
        return box_around([piece.box for piece in self.pieces])


def writing_height(pieces: list[Piece]) -> float:
    """Return the typical height of the digits: the median of the pieces that are not mere parts."""
    return typical_height(np.array([piece.box.height for piece in pieces], float))


def typical_height(heights: np.ndarray) -> float:
    """Return the typical height of the digits among the heights of pieces (not empty)."""
    top = np.percentile(heights, 90)
    return float(np.median(heights[heights >= 0.5 * top]))


def find_lines(pieces: list[Piece], labels: np.ndarray) -> list[Line]:
    """Group pieces into lines, top to bottom; ``labels`` is updated where a tall piece is cut in two."""
    if not pieces:
        return []
    units, members = _stacked(pieces)
    lines = _lines_of(units, labels)
    for line in lines:
        line.pieces = [piece for unit in line.pieces for piece in members.get(id(unit), [unit])]
    return lines


def _stacked(pieces: list[Piece]) -> tuple[list[Piece], dict[int, list[Piece]]]:
    """Return the pieces with each stack of one digit's pieces as one unit, and each unit's pieces by id.

    A stack too tall for its width, or holding pieces side by side (digits of one line), keeps
    together only the pieces that touch (a 5's body and bowl); one as tall as two lines of the
    rest of the page's writing holds two lines' digits and stays apart.
    """
    top, bottom, left, right = (np.array([getattr(p.box, side) for p in pieces], float)
                                for side in ("y", "bottom", "x", "right"))
    widths, heights = right - left, bottom - top
    columns = np.minimum(right[:, None], right[None, :]) - np.maximum(left[:, None], left[None, :])
    between = np.maximum(top[:, None] - bottom[None, :], top[None, :] - bottom[:, None])
    taller = np.maximum(heights[:, None], heights[None, :])
    above = columns > 0.5 * np.minimum(widths[:, None], widths[None, :])
    beside = (-between >= SHARED_ROWS * np.minimum(heights[:, None], heights[None, :])) & ~above
    stacks = []
    for stack in _groups(above & (between <= STACK_GAP * taller)):
        box = box_around([pieces[i].box for i in stack])
        too_tall = box.height > _tallest_stack(heights[stack]) * box.width
        if len(stack) > 1 and (too_tall or beside[np.ix_(stack, stack)].any()):
            inner = (above & (between <= TOUCHING_GAP * taller))[np.ix_(stack, stack)]
            stacks.extend([stack[i] for i in group] for group in _groups(inner))
        else:
            stacks.append(stack)
    units = [pieces[stack[0]] if len(stack) == 1 else Piece(box_around([pieces[i].box for i in stack]),
                                                            sum(pieces[i].area for i in stack), pieces[stack[0]].label)
             for stack in stacks]
    kept, members = [], {}
    for index, (unit, stack) in enumerate(zip(units, stacks, strict=True)):
        if len(stack) == 1:
            kept.append(unit)
            continue
        # Marks about as tall as one of its pieces are digits of their own, and give the writing's height.
        tallest = max(pieces[i].box.height for i in stack)
        others = [other for other in units[:index] + units[index + 1:] if other.box.height >= 0.6 * tallest]
        if unit.box.height > TALL * writing_height(others or [unit]):
            kept.extend(pieces[i] for i in stack)
        else:
            kept.append(unit)
            members[id(unit)] = [pieces[i] for i in stack]
    # A stack taller than the writing the line finder will measure would be cut between lines as
    # one piece: its pieces go back apart first (each pass parts at least one stack).
    while members:
        height = writing_height(kept)
        tall = [unit for unit in kept if id(unit) in members and unit.box.height > TALL * height]
        if not tall:
            break
        for unit in tall:
            kept.remove(unit)
            kept.extend(members.pop(id(unit)))
    return kept, members


def _tallest_stack(heights: np.ndarray) -> float:
    """Return how many times as tall as wide a stack of pieces of these heights may be and stay one digit."""
    if len(heights) > 1 and np.sort(heights)[-2] < BROKEN_PART * heights.max():
        return BROKEN_ASPECT
    return STACK_ASPECT


def _groups(linked: np.ndarray) -> list[list[int]]:
    """Return the indices of a symmetric boolean adjacency matrix grouped by its connected components."""
    count, component = _components(linked)
    return [list(np.flatnonzero(component == c)) for c in range(count)]


def _lines_of(pieces: list[Piece], labels: np.ndarray) -> list[Line]:
    """Group pieces (stacks as one) into lines, top to bottom."""
    height = writing_height(pieces)
    forming = [p for p in pieces if LINE_FORMING * height <= p.box.height <= TALL * height]
    stretches = [_fitted(stretch, height) for stretch in _stretches(forming, height)]
    # A stretch too short to show its own slope takes the page's: the lines of a page run parallel.
    slope = _page_slope(stretches, height)
    stretches = [line if _long(line, height) else _fitted(line.pieces, height, slope) for line in stretches]
    lines = _join_stretches(stretches, height, slope)
    if not lines:
        lines = [_fitted(forming or pieces, height, slope)]
        placed = {piece.label for piece in lines[0].pieces}
        pieces = [piece for piece in pieces if piece.label not in placed]
    tall = [p for p in pieces if p.box.height > TALL * height]
    for piece in tall:
        for part in _cut_between_lines(piece, lines, labels):
            _nearest_line(lines, part, height).pieces.append(part)
    for piece in pieces:
        if piece.box.height < LINE_FORMING * height:
            _nearest_line(lines, piece, height).pieces.append(piece)
    return sorted(lines, key=lambda line: line.centre_at(labels.shape[1] / 2))


def _stretches(pieces: list[Piece], height: float) -> list[list[Piece]]:
    """Return groups of pieces linked by shared rows and nearness (single linkage)."""
    if not pieces:
        return []
    top = np.array([p.box.y for p in pieces], float)
    bottom = np.array([p.box.bottom for p in pieces], float)
    left = np.array([p.box.x for p in pieces], float)
    right = np.array([p.box.right for p in pieces], float)
    shared = np.minimum(bottom[:, None], bottom[None, :]) - np.maximum(top[:, None], top[None, :])
    shorter = np.minimum((bottom - top)[:, None], (bottom - top)[None, :])
    gap = np.maximum(left[:, None] - right[None, :], left[None, :] - right[:, None])
    linked = (shared >= SHARED_ROWS * shorter) & (gap <= NEAR * height)
    count, component = _components(linked)
    return [[pieces[i] for i in np.flatnonzero(component == c)] for c in range(count)]


def _components(linked: np.ndarray) -> tuple[int, np.ndarray]:
    """Return the connected components of a symmetric boolean adjacency matrix."""
    component = np.full(len(linked), -1)
    count = 0
    for start in range(len(linked)):
        if component[start] >= 0:
            continue
        frontier = [start]
        component[start] = count
        while frontier:
            neighbours = np.flatnonzero(linked[frontier].any(axis=0) & (component < 0))
            component[neighbours] = count
            frontier = list(neighbours)
        count += 1
    return count, component


def _fitted(pieces: list[Piece], height: float, slope: float | None = None) -> Line:
    """Return a line through the pieces' centres (a level one for a single piece unless ``slope``)."""
    xs = np.array([p.box.x + p.box.width / 2 for p in pieces], float)
    ys = np.array([p.box.y + p.box.height / 2 for p in pieces], float)
    if slope is None:
        slope = float(np.polyfit(xs, ys, 1)[0]) if len(pieces) >= 3 and np.ptp(xs) > height else 0.0
        slope = float(np.clip(slope, -MAX_SLOPE, MAX_SLOPE))
    intercept = float(np.median(ys - slope * xs))
    return Line(pieces=list(pieces), slope=slope, intercept=intercept, height=height)


def _long(line: Line, height: float) -> bool:
    """Tell whether a stretch is long enough to show its own slope: three pieces over more than a height."""
    xs = [piece.box.x + piece.box.width / 2 for piece in line.pieces]
    return len(xs) >= 3 and max(xs) - min(xs) > height


def _page_slope(lines: list[Line], height: float) -> float:
    """Return the median slope of the stretches long enough to show one (0 without any)."""
    slopes = [line.slope for line in lines if _long(line, height)]
    return float(np.median(slopes)) if slopes else 0.0


def _join_stretches(lines: list[Line], height: float, slope: float) -> list[Line]:
    """Join stretches of one line that a wide gap split (two numbers on one line).

    Each pair is judged once on the stretches as found (bounded work); pages with more
    stretches than any page of numbers holds keep them apart.
    """
    if len(lines) < 2 or len(lines) > MAX_STRETCHES:
        return lines
    owner = list(range(len(lines)))

    def root(index: int) -> int:
        while owner[index] != index:
            index = owner[index]
        return index

    # Each stretch's centre line at the page's slope, once (bounded work): a long stretch's own
    # slope, carried across a gap of several digits, strays further than the page's tilt does.
    levelled = [_fitted(line.pieces, height, slope).intercept for line in lines]
    for first in range(len(lines)):
        for second in range(first + 1, len(lines)):
            if root(first) != root(second) and _on_one_line(lines[first], lines[second], height,
                                                            levelled[first] - levelled[second]):
                owner[root(second)] = root(first)
    joined: dict[int, list[Piece]] = {}
    for index, line in enumerate(lines):
        joined.setdefault(root(index), []).extend(line.pieces)
    refitted = [_fitted(pieces, height) if len(pieces) > len(lines[index].pieces) else lines[index]
                for index, pieces in joined.items()]
    return [line if _long(line, height) else _fitted(line.pieces, height, slope) for line in refitted]


def _on_one_line(a: Line, b: Line, height: float, apart_at_page_slope: float) -> bool:
    """Tell whether two stretches lie side by side on one centre line: their own, or one at the page's slope.

    ``apart_at_page_slope``: how far apart their centre lines are, each fitted at the page's slope.
    """
    box_a, box_b = a.box, b.box
    if min(box_a.right, box_b.right) - max(box_a.x, box_b.x) > 0.25 * height:
        return False  # one above the other, not side by side
    if abs(apart_at_page_slope) <= ON_THE_LINE * height:
        return True
    middle_a, middle_b = box_a.x + box_a.width / 2, box_b.x + box_b.width / 2
    return (abs(a.centre_at(middle_b) - b.centre_at(middle_b)) <= ON_THE_LINE * height
            and abs(b.centre_at(middle_a) - a.centre_at(middle_a)) <= ON_THE_LINE * height)


def _nearest_line(lines: list[Line], piece: Piece, height: float) -> Line:
    """Return the line whose centre passes nearest the piece's centre."""
    x = piece.box.x + piece.box.width / 2
    y = piece.box.y + piece.box.height / 2
    return min(lines, key=lambda line: abs(line.centre_at(x) - y))


def _cut_between_lines(piece: Piece, lines: list[Line], labels: np.ndarray) -> list[Piece]:
    """Cut a tall piece that reaches from one line into the next at its thinnest row between them."""
    x = piece.box.x + piece.box.width / 2
    centres = sorted(line.centre_at(x) for line in lines)
    inside = [centre for centre in centres if piece.box.y < centre < piece.box.bottom]
    if len(inside) < 2:
        return [piece]
    box = piece.box
    own = labels[box.y:box.bottom, box.x:box.right] == piece.label
    parts, top = [], 0
    for upper, lower in zip(inside, inside[1:], strict=False):
        start, stop = int(upper + 0.25 * (lower - upper)) - box.y, int(lower - 0.25 * (lower - upper)) - box.y
        ink_per_row = own[start:stop].sum(axis=1)
        cut = start + int(np.argmin(ink_per_row)) if len(ink_per_row) else (start + stop) // 2
        parts.append((top, cut))
        top = cut + 1
    parts.append((top, box.height))
    pieces = []
    next_label = int(labels.max()) + 1
    for index, (first_row, last_row) in enumerate(parts):
        rows = own[first_row:last_row]
        label = piece.label if index == 0 else next_label + index - 1
        if label != piece.label:
            labels[box.y + first_row:box.y + last_row, box.x:box.right][rows] = label
        if index + 1 < len(parts):  # the cut row itself holds no ink of either part
            labels[box.y + last_row, box.x:box.right][own[last_row]] = 0
        ys, xs = np.nonzero(rows)
        if len(ys):
            pieces.append(Piece(Box(box.x + int(xs.min()), box.y + first_row + int(ys.min()),
                                    int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1), int(len(ys)), label))
    return pieces
