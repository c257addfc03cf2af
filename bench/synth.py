"""Seeded renderers that turn MNIST digits into the pictures users send: photos, drawings, numbers.

Every function takes a numpy Generator, so a seed fixes every picture. Only MNIST *test*
digits are rendered for the benchmark; the models never train on them.
"""

from __future__ import annotations

import cv2
import numpy as np

PAPERS = {  # BGR
    "white": (250, 250, 250), "cream": (205, 235, 245), "grey": (200, 203, 205),
    "blue tint": (245, 228, 215), "green tint": (215, 240, 222), "pink tint": (228, 220, 248),
}
INKS = {"black": (25, 25, 30), "blue": (150, 55, 20), "red": (40, 35, 185), "pencil": (95, 95, 100)}


def ink_patch(digit28: np.ndarray, height: int, rng: np.random.Generator, stroke: float = 0.0,
              rotation: float = 0.0) -> np.ndarray:
    """Return a float ink map (0..1) of one MNIST digit whose ink is about ``height`` pixels tall.

    ``stroke`` > 0 makes strokes bolder (marker), < 0 thinner (fine pen), in units of the height.
    """
    rows = np.flatnonzero(digit28.max(axis=1) > 30)
    columns = np.flatnonzero(digit28.max(axis=0) > 30)
    crop = digit28[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1].astype(np.float32) / 255
    factor = height / crop.shape[0]
    size = (max(2, round(crop.shape[1] * factor)), max(2, round(height)))
    big = cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)
    height = int(round(height))
    pad = max(4, height // 2)  # room to rotate without clipping
    big = np.pad(np.clip(big, 0, 1), pad)
    big /= max(float(big.max()), 1e-6)  # a pen writes every digit with full ink
    # A pen leaves solid ink with soft edges, not MNIST's grey blur.
    written = np.clip((big - 0.35) / 0.3, 0, 1)
    ink = written
    radius = int(round(abs(stroke) * height))
    # A bolder or finer pen changes the strokes' width, not the digit: a person writing with a
    # marker leaves the loops of an 8 open, and a fine pen does not break a stroke in two. So
    # the pen is narrowed until the digit keeps its pieces and its holes.
    while radius >= 1:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        ink = cv2.dilate(written, kernel) if stroke > 0 else cv2.erode(written, kernel)
        if shape_of(ink) == shape_of(written):
            break
        ink, radius = written, radius // 2
    if rotation:
        centre = (ink.shape[1] / 2, ink.shape[0] / 2)
        matrix = cv2.getRotationMatrix2D(centre, rotation, 1.0)
        ink = cv2.warpAffine(ink, matrix, (ink.shape[1], ink.shape[0]), flags=cv2.INTER_LINEAR)
    return cv2.GaussianBlur(ink, (0, 0), max(0.5, height / 120))


def shape_of(ink: np.ndarray) -> tuple[int, int]:
    """Return (pieces, holes) of an ink map's solid ink: what makes a 0 a 0 and an 8 an 8.

    Specks of less than 1% of the ink are not counted, as a reader would not count them.
    """
    solid = (ink > 0.5).astype(np.uint8)
    least = max(1, int(0.01 * solid.sum()))

    def regions(binary: np.ndarray, connectivity: int) -> list:
        count, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=connectivity)
        return [stats[index] for index in range(1, count) if stats[index][4] >= least]

    paper = np.pad(1 - solid, 1, constant_values=1)  # the border joins the outside paper
    holes = [stats for stats in regions(paper, 4) if not (stats[0] == 0 and stats[1] == 0)]
    return len(regions(solid, 8)), len(holes)


def tight(ink: np.ndarray) -> np.ndarray:
    """Crop an ink map to its ink."""
    rows = np.flatnonzero(ink.max(axis=1) > 0.05)
    columns = np.flatnonzero(ink.max(axis=0) > 0.05)
    return ink[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]


def paper(height: int, width: int, rng: np.random.Generator, ruled: bool) -> np.ndarray:
    """Return a float BGR page: tinted paper, maybe ruled notebook lines and a margin."""
    colour = np.array(PAPERS[rng.choice(list(PAPERS))], np.float32) + rng.normal(0, 4, 3)
    page = np.ones((height, width, 3), np.float32) * colour
    page += rng.normal(0, 2.0, (height, width, 1)).astype(np.float32)  # paper grain
    if ruled:
        spacing = int(rng.uniform(0.09, 0.16) * height) + 8
        offset = int(rng.integers(0, spacing))
        slope = np.tan(np.deg2rad(rng.uniform(-1.5, 1.5)))
        line_colour = (np.array((205, 160, 120), np.float32) + rng.normal(0, 10, 3)).tolist()
        thickness = int(rng.integers(1, 3))
        for y in range(offset, height + spacing, spacing):
            cv2.line(page, (0, y), (width, int(y + slope * width)), line_colour, thickness, cv2.LINE_AA)
        if rng.random() < 0.4:
            x = int(rng.uniform(0.05, 0.15) * width)
            cv2.line(page, (x, 0), (x, height), (120, 120, 220), thickness, cv2.LINE_AA)
    return page


def lighting(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Return a light multiplier: a gradient across the page and maybe a soft shadow."""
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = (np.cos(angle) * xs / width + np.sin(angle) * ys / height)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    darkest = rng.uniform(0.55, 0.95)
    light = darkest + (1 - darkest) * ramp
    if rng.random() < 0.5:
        shadow = np.zeros((height, width), np.float32)
        centre = (int(rng.uniform(0, width)), int(rng.uniform(0, height)))
        axes = (int(rng.uniform(0.2, 0.6) * width), int(rng.uniform(0.2, 0.6) * height))
        cv2.ellipse(shadow, centre, axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
        shadow = cv2.GaussianBlur(shadow, (0, 0), 0.08 * max(height, width))
        light *= 1 - rng.uniform(0.15, 0.35) * shadow
    return light[..., None]


def photograph(page: np.ndarray, rng: np.random.Generator) -> bytes:
    """Blur, add sensor noise and save as a JPEG, as a phone would."""
    sigma = rng.uniform(0, 1.3) * max(page.shape[:2]) / 500
    if sigma > 0.3:
        page = cv2.GaussianBlur(page, (0, 0), sigma)
    page = page + rng.normal(0, rng.uniform(0, 7), page.shape).astype(np.float32)
    quality = int(rng.integers(55, 95))
    ok, encoded = cv2.imencode(".jpg", np.clip(page, 0, 255).astype(np.uint8),
                               [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return encoded.tobytes()


def place(page: np.ndarray, ink: np.ndarray, x: int, y: int, colour: np.ndarray, opacity: float) -> None:
    """Lay ink of one colour onto the page at (x, y), in place."""
    height, width = ink.shape
    region = page[y:y + height, x:x + width]
    alpha = (ink[: region.shape[0], : region.shape[1]] * opacity)[..., None]
    region[:] = region * (1 - alpha) + colour * alpha


def photo_of_digits(digits28: list[np.ndarray], rng: np.random.Generator) -> bytes:
    """A phone photo of one or more handwritten digits on paper, as JPEG bytes."""
    count = len(digits28)
    digit_height = int(rng.uniform(40, 260))
    rotation_range = 15 if count == 1 else 6
    stroke = rng.choice([-0.03, 0.0, 0.0, 0.04, 0.07])
    inks = [tight(ink_patch(d, digit_height * rng.uniform(0.92, 1.08), rng, stroke=stroke,
                            rotation=rng.uniform(-rotation_range, rotation_range))) for d in digits28]
    gaps = [int(rng.uniform(0.25, 0.7) * digit_height * 0.6) for _ in range(count - 1)]
    row_width = sum(ink.shape[1] for ink in inks) + sum(gaps)
    row_height = max(ink.shape[0] for ink in inks)
    margin_x = int(rng.uniform(0.15, 1.2) * digit_height) + 6
    margin_y = int(rng.uniform(0.15, 1.2) * digit_height) + 6
    width = row_width + margin_x + int(rng.uniform(0.15, 1.2) * digit_height) + 6
    height = row_height + margin_y + int(rng.uniform(0.15, 1.2) * digit_height) + 6
    page = paper(height, width, rng, ruled=rng.random() < 0.4)
    colour = np.array(INKS[rng.choice(list(INKS))], np.float32) + rng.normal(0, 6, 3)
    opacity = rng.uniform(0.8, 1.0)
    x = margin_x
    for index, ink in enumerate(inks):
        y = margin_y + int(rng.uniform(0, 1) * (row_height - ink.shape[0]))
        place(page, ink, x, y, colour, opacity)
        x += ink.shape[1] + (gaps[index] if index < len(gaps) else 0)
    page *= lighting(height, width, rng)
    return photograph(page, rng)


CANVAS_STYLES = ("black on transparent", "black on white", "white on black")


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


def _redraw(ink: np.ndarray, brush_width: int) -> np.ndarray:
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


def canvas_drawing(digit28: np.ndarray, rng: np.random.Generator, style: str, brush: str) -> bytes:
    """A 280x280 canvas drawing of one digit as PNG bytes (thick or thin brush, maybe off-centre).

    The digit's centre lines are drawn again with a round brush of one width, as a pen on a
    canvas would leave them.
    """
    digit_height = int(rng.uniform(110, 220))
    ink = tight(ink_patch(digit28, digit_height, rng, rotation=rng.uniform(-8, 8)))
    brush_width = int(rng.uniform(14, 24)) if brush == "thick" else int(rng.uniform(5, 9))
    ink = _redraw(ink, brush_width)
    ink = cv2.GaussianBlur(ink, (3, 3), 0)  # anti-aliased borders, as a canvas draws them
    height, width = ink.shape
    if height > 270 or width > 270:
        factor = 270 / max(height, width)
        ink = cv2.resize(ink, (int(width * factor), int(height * factor)), interpolation=cv2.INTER_AREA)
        height, width = ink.shape
    canvas = np.zeros((280, 280), np.float32)
    x = int(rng.integers(0, 280 - width + 1))
    y = int(rng.integers(0, 280 - height + 1))
    canvas[y:y + height, x:x + width] = ink
    alpha = np.round(canvas * 255).astype(np.uint8)
    if style == "black on transparent":
        picture = np.dstack([np.zeros_like(alpha)] * 3 + [alpha])
    elif style == "black on white":
        picture = 255 - alpha
    else:
        picture = alpha
    ok, encoded = cv2.imencode(".png", picture)
    if not ok:
        raise ValueError("PNG encoding failed")
    return encoded.tobytes()
