"""Stage 4a, frames: erase the box or ring a person draws round a number (a boxed answer, a form's field)."""

from __future__ import annotations

import cv2
import numpy as np

from digits.preprocess.lines import typical_height
from digits.preprocess.segment import Piece

# A frame is a closed stroke round writing. A first, cheap test: it is at least this many digit
# heights tall (it is taller than the digits it holds; digits as tall pass, and are tested on)...
FRAME_HEIGHT = 0.8
# ...its inside at least this many digit heights tall, as a digit fits in it (a digit's loop,
# into which a touching neighbour reaches, is shorter)...
FRAME_INSIDE = 0.8
# ...its ink at most this share of its box (an outline, not a blob)...
FRAME_INK = 0.7
# ...and what it encloses is largely paper: the paper of its inside at least this share of the
# inside's box.
FRAME_HOLE = 0.3
# It encloses writing: ink inside it, apart from its own outline, at least this share of the
# digits' height tall (a 0 encloses nothing, an 8 only where its strokes cross, a 9 drawn with a
# loop in its loop a stroke half its height).
ENCLOSED = 0.55
# ...and at least this share of the inside's height: a line of digits fills a box, a smiley's
# mouth is a fraction of its face. (A frame round several lines is left alone.)
FILLS = 0.4
# ...and at most this share of that ink lies nearer the outside than the frame's width.
OUTER_SHARE = 0.25
# A frame is a box or a ring: with its inside it fills at least this share of its convex hull
# (the outer strokes of touching digits round the paper between them do not).
SOLIDITY = 0.85
# ...and this share of its outline lies beside its inside (within the frame's width of its box).
BESIDE = 0.9
# Holes smaller than this share of the largest are a digit's own loops, not the frame's inside.
FRAME_HOLE_SHARE = 0.03
# Left-overs of a frame's piece under this share of the framed writing's height are the frame's too.
REMNANT = 0.5
# The digits a frame holds are at least this share of its height: smaller marks beside it do not
# tell the writing's height.
OTHERS = 0.3
# A gap a hand leaves where a box's last side meets its first is closed before looking for
# holes, up to this share of the digits' height.
GAP = 0.15
# A piece alone tells no digits' height: it is tried with its own, then, as a frame that the digits
# it holds touch (so they are part of it), with this share of its own. Then its inside spans at
# least ALONE_SPAN of its width (a digit's loop, into which a touching neighbour reaches, spans a
# fraction of the digits it is one of), and the writing it holds, which touches it, fills it as
# snugly: at least ALONE_HELD of the inside's width (the overshoot of a drawn 0 into its loop, or
# two overlapping 0s, hold a sliver) and ALONE_FILLS of its height (a smiley's mouth).
ALONE = 0.5
ALONE_SPAN = 0.8
ALONE_HELD = 0.5
ALONE_FILLS = 0.6


def erase_frames(mask: np.ndarray, pieces: list[Piece], labels: np.ndarray) -> np.ndarray:
    """Return the ink mask with the frames among its pieces erased (the mask itself where there are none).

    A frame lies within the picture: a piece that reaches its edge is not one (ruled lines run
    across the picture and, with the writing on them, enclose paper too; so does the paper round
    a marker's 0 that fills a close crop, where it is taken for ink). ``labels``: the pieces'
    component labels (find_pieces).
    """
    height, width = mask.shape
    within = [piece for piece in pieces if piece.box.x > 0 and piece.box.y > 0
              and piece.box.right < width and piece.box.bottom < height]
    return _erase(mask, within, labels, pieces) if within else mask


def _erase(mask: np.ndarray, candidates: list[Piece], labels: np.ndarray, pieces: list[Piece]) -> np.ndarray:
    """Return the mask with the frames among ``candidates`` erased (the mask itself where there are none).

    A frame's outline lies between the paper outside it and its inside; a digit touching it
    from inside, or a digit of another line touching it from outside, borders only one of the
    two, and is kept. ``pieces``: all the picture's pieces, whose heights give the writing's.
    """
    erased = mask
    heights = np.array([piece.box.height for piece in pieces], float)
    labels_of = np.array([piece.label for piece in pieces])
    height = typical_height(heights)
    for piece in candidates:
        x, y, w, h = piece.box
        if h < FRAME_HEIGHT * height or min(w, h) < 16 or piece.area > FRAME_INK * w * h:
            continue
        # The writing's height without this piece (where it is a frame, it is taller than any digit),
        # and without marks far smaller (a line under it, specks); alone, its own, then ALONE of it.
        others = heights[(labels_of != piece.label) & (heights >= OTHERS * h)]
        own = np.where(labels[y:y + h, x:x + w] == piece.label, 255, 0).astype(np.uint8)
        guesses = [(typical_height(others), False)] if len(others) else [(h, False), (ALONE * h, True)]
        for digit_height, alone in guesses:
            outline = _outline(own, mask[y:y + h, x:x + w], digit_height, alone)
            if outline is not None:
                break
        else:
            continue
        if erased is mask:
            erased = mask.copy()
        erased[y:y + h, x:x + w][outline] = 0
    return erased


def _outline(own: np.ndarray, ink: np.ndarray, height: float, alone: bool = False) -> np.ndarray | None:
    """Return the pixels of a piece that frame other writing (box-local), or None where it frames none.

    ``own``: the piece's mask (uint8) in its box; ``ink``: all ink in that box; ``height``: the
    digits'; ``alone``: the height is a guess (ALONE), so the frame is held to what it frames.
    """
    # A quick test first, as most lone pieces are single digits: the holes as drawn span about as
    # much as the inside (the closing below may join them across at most its width on either side).
    if alone and _holes_span(own) < ALONE_SPAN * own.shape[1] - 2 * GAP * height - 2:
        return None
    found = _holes(own, height)
    if found is None:
        return None
    filled, hole_labels, big = found
    edge = np.pad(own, 1) > 0
    paper, paper_of, to_outside, to_holes, width = _sides(edge, filled, hole_labels, big)
    rest_labels, rest_boxes = _apart_from_the_outline(np.pad(ink, 1) > 0, edge, to_outside, to_holes, width)
    regions = {index: np.isin(paper, paper_of[index]) for index in big}
    writing = {index: _writing_at(regions[index], rest_labels, rest_boxes, ENCLOSED * height) for index in big}
    spans = {index: _span(regions[index]) for index in big}
    framing = [index for index in big
               if len(writing[index]) and spans[index][2] - spans[index][0] >= FRAME_INSIDE * height]
    if not framing:
        return None
    top, left = min(spans[index][0] for index in framing), min(spans[index][1] for index in framing)
    bottom, right = max(spans[index][2] for index in framing), max(spans[index][3] for index in framing)
    if alone and right - left < ALONE_SPAN * own.shape[1]:
        return None
    inside = np.logical_or.reduce([regions[index] for index in framing])
    if np.count_nonzero(inside) < FRAME_HOLE * (bottom - top) * (right - left):
        return None
    # The frame's own stroke lies between the two: its pixels are within its width of both.
    outline = edge & (to_outside + _distance_to(inside) <= width + 2)
    # A frame goes round its inside: its outline lies beside it (the outer strokes of touching
    # digits round the paper between them reach far beyond it)...
    reach = width + 2
    near = np.zeros_like(outline)
    near[max(0, int(top - reach)):int(bottom + reach), max(0, int(left - reach)):int(right + reach)] = True
    if np.count_nonzero(outline & near) < BESIDE * np.count_nonzero(outline):
        return None
    held = _held(np.unique(np.concatenate([writing[index] for index in framing])), rest_boxes, outline, reach,
                 (ALONE_FILLS if alone else FILLS) * (bottom - top))
    if not len(held) or _solidity(outline | inside | np.isin(rest_labels, held)) < SOLIDITY:
        return None
    if alone and _width_of(rest_boxes[held]) < ALONE_HELD * (right - left):
        return None
    outline = outline[1:-1, 1:-1]
    # What is left of the piece and small is the frame's too: a corner, the double stroke where
    # two frames meet. (A digit that touched the frame is left whole but for its tip.)
    _found, left_over, boxes, _ = cv2.connectedComponentsWithStats(((own > 0) & ~outline).astype(np.uint8),
                                                                   connectivity=8)
    small = np.flatnonzero(boxes[:, cv2.CC_STAT_HEIGHT] < REMNANT * rest_boxes[held, cv2.CC_STAT_HEIGHT].max())
    return outline | np.isin(left_over, small[small > 0])


def _holes_span(own: np.ndarray) -> int:
    """Return the width the piece's holes span together, as drawn (0 where it has none)."""
    contours, hierarchy = cv2.findContours(own, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    # A hole's contour has a parent; boundingRect gives x, y, width, height, as cv2's stats rows do.
    boxes = [cv2.boundingRect(contour) for contour, links in zip(contours, hierarchy[0], strict=True)
             if links[3] >= 0]
    return _width_of(np.array(boxes)) if boxes else 0


def _holes(own: np.ndarray, height: float) -> tuple[np.ndarray, np.ndarray, list[int]] | None:
    """Return the piece filled (padded by a pixel), its holes' labels and the big holes, or None where
    none is tall enough to be a frame's inside."""
    gap = int(GAP * height) // 2 * 2 + 1  # odd: an even element's closing shifts the strokes
    closed = cv2.morphologyEx(own, cv2.MORPH_CLOSE, np.ones((gap, gap), np.uint8))
    closed = np.pad(closed, 1)  # the box's edge is outside
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(closed)
    cv2.drawContours(filled, contours, -1, 255, cv2.FILLED)
    holes = ((filled > 0) & (closed == 0)).astype(np.uint8)
    count, hole_labels, stats, _ = cv2.connectedComponentsWithStats(holes, connectivity=4)
    if count < 2:
        return None
    areas = stats[:, cv2.CC_STAT_AREA]
    big = [index for index in range(1, count) if areas[index] >= FRAME_HOLE_SHARE * areas[1:].max()]
    # A quick test, so most loops cost no more: a hole reaches the ink round it by at most the
    # closing's width, and an inside is FRAME_INSIDE tall.
    if stats[big, cv2.CC_STAT_HEIGHT].max() < FRAME_INSIDE * height - gap - 2:
        return None
    return filled, hole_labels, big


def _sides(edge: np.ndarray, filled: np.ndarray, hole_labels: np.ndarray, big: list[int]
           ) -> tuple[np.ndarray, dict[int, np.ndarray], np.ndarray, np.ndarray, float]:
    """Return the paper round the piece's ink (labels), each big hole's paper labels, the distance of
    every pixel to the outside and to the holes, and the frame's width."""
    # A hole reaches to the ink: where the closing joined a digit to the frame, the paper between
    # them belongs to it. And the outside too, where the closing filled a dent in the frame's edge.
    _count, paper = cv2.connectedComponents(((filled > 0) & ~edge).astype(np.uint8), connectivity=4)
    paper_of = {index: np.unique(paper[hole_labels == index]) for index in big}
    inner = np.unique(np.concatenate(list(paper_of.values())))
    dents = np.unique(paper[cv2.dilate(np.where(filled > 0, 0, 255).astype(np.uint8), np.ones((3, 3))) > 0])
    to_outside = _distance_to((filled == 0) | np.isin(paper, np.setdiff1d(dents, [0, *inner])))
    # The frame's width: from its outer edge to its inside, along most of its length (where a
    # digit touches it, the digit's ink lies between).
    to_holes = _distance_to(np.isin(paper, inner))
    width = float(np.median(to_holes[edge & (to_outside <= 1.5)]))
    return paper, paper_of, to_outside, to_holes, width


def _apart_from_the_outline(ink: np.ndarray, edge: np.ndarray, to_outside: np.ndarray, to_holes: np.ndarray,
                            width: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the labels and boxes of the ink apart from a frame's outline, the height of those mostly
    nearer the outside than the frame's width set to 0.

    (A bold 0's thick side is its outer edge too; a digit touching the frame from inside keeps a
    bit of it; the paper a digit outside a frame closes off against it holds no such ink.)
    """
    rest = ink & ~(edge & (to_outside + to_holes <= width + 2))
    found, labels, boxes, _ = cv2.connectedComponentsWithStats(rest.astype(np.uint8), connectivity=8)
    near_outside = np.bincount(labels[rest & (to_outside < width)], minlength=found)
    boxes[near_outside > OUTER_SHARE * boxes[:, cv2.CC_STAT_AREA], cv2.CC_STAT_HEIGHT] = 0
    return labels, boxes


def _held(labels: np.ndarray, boxes: np.ndarray, outline: np.ndarray, reach: float,
          shortest: float) -> np.ndarray:
    """Return the labels of the writing a frame goes round: within its outline's box (but for ``reach``:
    a digit touching a frame keeps a bit of it; one written into a neighbour's loop, in touching
    digits, reaches out of it) and at least ``shortest`` tall (a share of its inside's height)."""
    top, left, bottom, right = _span(outline)
    boxes = boxes[labels]
    return labels[(boxes[:, cv2.CC_STAT_TOP] >= top - reach)
                  & (boxes[:, cv2.CC_STAT_TOP] + boxes[:, cv2.CC_STAT_HEIGHT] <= bottom + reach)
                  & (boxes[:, cv2.CC_STAT_LEFT] >= left - reach)
                  & (boxes[:, cv2.CC_STAT_LEFT] + boxes[:, cv2.CC_STAT_WIDTH] <= right + reach)
                  & (boxes[:, cv2.CC_STAT_HEIGHT] >= shortest)]


def _writing_at(hole: np.ndarray, ink_labels: np.ndarray, ink_boxes: np.ndarray, shortest: float) -> np.ndarray:
    """Return the labels of the ink in a hole or at its edge at least ``shortest`` tall."""
    top, left, bottom, right = _span(hole)
    window = (slice(max(top - 1, 0), bottom + 1), slice(max(left - 1, 0), right + 1))
    near = cv2.dilate(hole[window].astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    found = np.unique(ink_labels[window][near])
    found = found[found > 0]
    return found[ink_boxes[found, cv2.CC_STAT_HEIGHT] >= shortest]


def _width_of(boxes: np.ndarray) -> int:
    """Return the width of the box round connected components' boxes (cv2 stats rows)."""
    lefts = boxes[:, cv2.CC_STAT_LEFT]
    return int((lefts + boxes[:, cv2.CC_STAT_WIDTH]).max() - lefts.min())


def _span(region: np.ndarray) -> tuple[int, int, int, int]:
    """Return the box round a region's pixels: top, left, bottom and right (the last two past it)."""
    left, top, width, height = cv2.boundingRect(region.astype(np.uint8))
    return top, left, top + height, left + width


def _solidity(region: np.ndarray) -> float:
    """Return how much of its convex hull a region's largest outline fills (1: convex)."""
    contours, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    largest = max(contours, key=cv2.contourArea)
    return cv2.contourArea(largest) / max(cv2.contourArea(cv2.convexHull(largest)), 1.0)


def _distance_to(region: np.ndarray) -> np.ndarray:
    """Return each pixel's distance to the nearest pixel of ``region``."""
    return cv2.distanceTransform(np.where(region, 0, 255).astype(np.uint8), cv2.DIST_L2, 3)
