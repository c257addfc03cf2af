"""A digit drawn again with a round brush, as a person draws it on a canvas or a tablet.

Pure functions over float ink maps (0..1). The benchmark draws MNIST *test* digits with them
(bench/synth.py); training draws MNIST *training* digits with them (digits.augment), so the
model learns digits whose strokes have one even width, as a brush leaves them.
"""

from __future__ import annotations

import cv2
import numpy as np


def written_ink(digit28: np.ndarray, height: float, pad: int = 0) -> np.ndarray:
    """Return an MNIST digit's ink enlarged to about ``height`` pixels, solid as a pen leaves it.

    The digit is cropped to its ink, enlarged, brought to full strength (a pen writes every
    digit with full ink) and cut into solid strokes with soft edges, not MNIST's grey blur.
    ``pad`` pixels of paper are left around it.
    """
    digit28 = np.asarray(digit28)
    rows = np.flatnonzero(digit28.max(axis=1) > 30)
    columns = np.flatnonzero(digit28.max(axis=0) > 30)
    if len(rows) == 0:
        raise ValueError("the picture has no ink")
    crop = digit28[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1].astype(np.float32) / 255
    factor = height / crop.shape[0]
    size = (max(2, round(crop.shape[1] * factor)), max(2, round(height)))
    big = np.pad(np.clip(cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC), 0, 1), pad)
    big /= max(float(big.max()), 1e-6)
    return np.clip((big - 0.35) / 0.3, 0, 1)


def shape_of(ink: np.ndarray) -> tuple[int, int]:
    """Return (pieces, holes) of an ink map's solid ink: what makes a 0 a 0 and an 8 an 8.

    Specks of less than 1% of the ink are not counted, as a reader would not count them.
    """
    solid = (ink > 0.5).astype(np.uint8)
    loops, pieces = loops_and_pieces(solid, max(1, int(0.01 * solid.sum())))
    return pieces, loops


def loops_and_pieces(mask: np.ndarray, least: int) -> tuple[int, int]:
    """Count the loops (enclosed paper) and pieces of ink in a binary mask, of at least ``least`` pixels."""
    # Padding joins all the paper around the digit into one region; every other one is a loop.
    paper = np.pad((mask == 0).astype(np.uint8), 1, constant_values=1)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(paper, connectivity=4)
    loops = sum(1 for index in range(1, count) if index != labels[0, 0] and stats[index][4] >= least)
    return loops, count_pieces((mask > 0).astype(np.uint8), least)


def count_pieces(mask: np.ndarray, least: int) -> int:
    """Count the pieces of ink (8-connected) of a binary mask (uint8) of at least ``least`` pixels."""
    _count, _labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return int(np.count_nonzero(stats[1:, cv2.CC_STAT_AREA] >= least))


def tight(ink: np.ndarray) -> np.ndarray:
    """Crop an ink map to its ink."""
    rows = np.flatnonzero(ink.max(axis=1) > 0.05)
    columns = np.flatnonzero(ink.max(axis=0) > 0.05)
    return ink[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]


def thin_to_skeleton(binary: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a 0/1 array: the one-pixel centre lines of its strokes."""
    image = np.pad(binary.astype(np.uint8), 1)
    while True:
        changed = False
        for step in (0, 1):
            p = [np.roll(np.roll(image, -dy, 0), -dx, 1) for dy, dx in
                 ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))]
            neighbours = sum(p)
            transitions = sum(((p[i] == 0) & (p[(i + 1) % 8] == 1)).astype(np.uint8) for i in range(8))
            if step == 0:
                keep_a, keep_b = p[0] * p[2] * p[4], p[2] * p[4] * p[6]
            else:
                keep_a, keep_b = p[0] * p[2] * p[6], p[0] * p[4] * p[6]
            remove = ((image == 1) & (neighbours >= 2) & (neighbours <= 6) & (transitions == 1)
                      & (keep_a == 0) & (keep_b == 0))
            if remove.any():
                image[remove] = 0
                changed = True
        if not changed:
            return image[1:-1, 1:-1]


def _neighbour_count(skeleton: np.ndarray) -> np.ndarray:
    """Return, for each pixel, how many of its 8 neighbours are set in a 0/1 array."""
    padded = np.pad(skeleton.astype(np.uint8), 1)
    total = sum(np.roll(np.roll(padded, dy, 0), dx, 1)
                for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx)
    return total[1:-1, 1:-1]


def prune_spurs(skeleton: np.ndarray, length: int) -> np.ndarray:
    """Remove the short side branches that thinning leaves at the corners of thick strokes.

    Branch ends are eaten back ``length`` pixels, then the surviving branches grow back along
    the original centre lines, so only branches shorter than ``length`` are lost.
    """
    original = skeleton.astype(np.uint8)
    pruned = original.copy()
    for _ in range(length):
        ends = (pruned == 1) & (_neighbour_count(pruned) == 1)
        if not ends.any():
            break
        pruned[ends] = 0
    front = ((pruned == 1) & (_neighbour_count(pruned) <= 1)).astype(np.uint8)
    for _ in range(length):
        front = cv2.dilate(front, np.ones((3, 3), np.uint8)) & original & (1 - pruned)
        if not front.any():
            break
        pruned |= front
    return pruned


def _pen_lines(solid: np.ndarray, brush_width: int) -> tuple[np.ndarray, int]:
    """Return the lines a pen draws to write a solid 0/1 digit, and how many loops it drew.

    A person draws a digit's centre lines. Where MNIST's pen filled a loop in (the head of a
    9, a loop of an 8: ink far wider than the digit's strokes), thinning would leave a bare
    stick; a person draws the loop, so the outline of such a blob is drawn instead.
    """
    distance = cv2.distanceTransform(solid, cv2.DIST_L2, 5)
    skeleton = thin_to_skeleton(solid)
    if not skeleton.any():
        return solid.astype(np.float32), 0
    half_stroke = float(np.median(distance[skeleton > 0]))
    skeleton = prune_spurs(skeleton, int(round(1.5 * half_stroke)))
    brush = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (brush_width, brush_width))
    core = (distance > 2.0 * half_stroke).astype(np.uint8)
    # A filled loop is a wide blob; a few wide pixels where strokes meet are not.
    count, labels, stats, _ = cv2.connectedComponentsWithStats(core)
    wide = [index for index in range(1, count) if stats[index][4] >= 0.1 * half_stroke ** 2]
    core = np.isin(labels, wide).astype(np.uint8)
    loops = np.zeros_like(solid)
    loop_count = 0
    if core.any():
        reach = int(4.0 * half_stroke) | 1
        blobs = cv2.dilate(core, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach))) & solid
        loops = blobs & (1 - cv2.erode(blobs, brush))
        skeleton = skeleton & (1 - blobs)
        loop_count = cv2.connectedComponents(blobs)[0] - 1
    lines = np.maximum(cv2.dilate(skeleton.astype(np.float32), brush), loops.astype(np.float32))
    return lines, loop_count


def redraw(ink: np.ndarray, brush_width: int) -> np.ndarray:
    """Redraw a digit's centre lines with a round brush, keeping the digit's pieces and holes.

    A person drawing a digit draws all of it: where MNIST's faint strokes would be lost at
    the usual threshold a lower one is taken, and a brush too fat for a small loop is narrowed.
    A loop the pen filled in is drawn open (see _pen_lines).
    """
    pieces, holes = shape_of(ink)
    first = None
    for width in (brush_width, max(3, brush_width * 2 // 3), max(3, brush_width // 2)):
        for level in (0.5, 0.3, 0.15):
            solid = np.pad((ink > level).astype(np.uint8), width)
            drawn, loops = _pen_lines(solid, width)
            first = drawn if first is None else first
            if shape_of(drawn) == (pieces, holes + loops):
                return drawn
    return first
