"""Marks that are not digits, to teach the mark checker what a digit is not: letters, symbols, shapes, scribbles.

Letters and symbols come from the fonts matplotlib ships (DejaVu and STIX), turned,
sheared and often redrawn with the brush of digits.pen so they look written; shapes and
scribbles are drawn with random strokes and curves. Marks and the written digits they are
told from get the same pens, blur and grain (``pen_and_camera``), so none of those tells them
apart. Letters that people's digits look like (O, l, I, S, Z, B, g, q, b, G and their kin) are
left out: a checker taught that an O is not a 0 would refuse zeros. Every picture is framed by
the server's own steps, as a served mark would be (a thinned stroke drawn flat, as when the
shipped checker was trained: see even_stroke).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from digits.pen import redraw, tight, written_ink
from digits.preprocess.framing import to_mnist_square
from digits.preprocess.strokes import even_stroke

LETTERS = "ACEFHKMNPRTUVWXYaceFhkmnprtuvwxy"
# Symbols people write beside numbers; not ! [ ] |, which are a 1 with a stroke more or less.
SYMBOLS = "+-×=?#$%/()*&@<>{}~^÷±"
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf",
              "DejaVuSerif-Italic.ttf", "DejaVuSansMono.ttf", "STIXGeneral.ttf", "STIXGeneralItalic.ttf")
KINDS = ("glyph", "glyph", "glyph", "shape", "scribble")  # glyphs are the most varied, so most often


def framed(ink: np.ndarray) -> np.ndarray | None:
    """Frame a mark's ink (float 0..1) as the server frames a digit: stroke evened, 20x20, centre of mass."""
    mask = np.where(ink > 0.5, 255, 0).astype(np.uint8)
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if len(rows) < 2 or len(columns) < 1:
        return None
    box = (slice(rows[0], rows[-1] + 1), slice(columns[0], columns[-1] + 1))
    return to_mnist_square(even_stroke(ink[box].astype(np.float32), mask[box], len(rows), keep_shading=False))


def font_paths() -> list[Path]:
    """Return the font files this generator draws glyphs with (those matplotlib ships)."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return [folder / name for name in FONT_FILES if (folder / name).exists()]


def glyph(rng: np.random.Generator, fonts: list[Path]) -> np.ndarray:
    """Return the ink of a letter or symbol from a font, turned, sheared and maybe redrawn with a brush."""
    from PIL import Image, ImageDraw, ImageFont

    characters = LETTERS + SYMBOLS
    font = ImageFont.truetype(str(fonts[int(rng.integers(len(fonts)))]), 64)
    picture = Image.new("L", (140, 140), 0)
    ImageDraw.Draw(picture).text((25, 15), characters[int(rng.integers(len(characters)))], fill=255, font=font)
    ink = np.asarray(picture, np.float32) / 255
    if ink.max() < 0.5:
        return np.zeros((2, 2), np.float32)
    turn = cv2.getRotationMatrix2D((70, 70), rng.uniform(-15, 15), rng.uniform(0.8, 1.2))
    turn[0, 1] += rng.uniform(-0.3, 0.3)
    ink = tight(cv2.warpAffine(np.pad(tight(ink), 20), turn, (140, 140)))
    if rng.random() < 0.6:  # written, not printed: one even stroke along the glyph's centre lines
        ink = redraw(ink, int(rng.uniform(3, 9)))
    return ink


def shape(rng: np.random.Generator) -> np.ndarray:
    """Return the ink of a drawn shape that is no digit: polygon, star, cross, arrow, heart, smiley, wave."""
    canvas = np.zeros((100, 100), np.float32)
    width = int(rng.uniform(3, 9))
    kind = int(rng.integers(7))
    jitter = rng.normal(0, 2.5, (12, 2))
    if kind == 0:  # triangle, square or pentagon
        sides = int(rng.integers(3, 6))
        angles = rng.uniform(0, 2 * np.pi) + np.arange(sides) * 2 * np.pi / sides
        points = np.stack([50 + 38 * np.cos(angles), 50 + 38 * np.sin(angles)], 1) + jitter[:sides]
        cv2.polylines(canvas, [points.astype(np.int32)], True, 1.0, width)
    elif kind == 1:  # star
        angles = np.arange(10) * np.pi / 5
        radii = np.where(np.arange(10) % 2, 16, 40)
        points = np.stack([50 + radii * np.cos(angles), 50 + radii * np.sin(angles)], 1) + jitter[:10]
        cv2.polylines(canvas, [points.astype(np.int32)], True, 1.0, width)
    elif kind == 2:  # cross or plus, or both
        for angle in rng.choice([0, 45, 90, 135], int(rng.integers(2, 5)), replace=False):
            direction = np.array([np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))]) * rng.uniform(25, 40)
            cv2.line(canvas, tuple((50 - direction).astype(int)), tuple((50 + direction).astype(int)), 1.0, width)
    elif kind == 3:  # arrow
        cv2.arrowedLine(canvas, (12, 50 + int(rng.uniform(-20, 20))), (88, 50), 1.0, width, tipLength=0.3)
    elif kind == 4:  # heart
        t = np.linspace(0, 2 * np.pi, 60)
        points = np.stack([50 + 2.2 * 16 * np.sin(t) ** 3,
                           45 - 2.2 * (13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))], 1)
        cv2.polylines(canvas, [points.astype(np.int32)], True, 1.0, width)
    elif kind == 5:  # smiley: a face with eyes and a mouth
        cv2.circle(canvas, (50, 50), 38, 1.0, width)
        for eye in (36, 64):
            cv2.circle(canvas, (eye, 40), 4, 1.0, -1)
        cv2.ellipse(canvas, (50, 58), (20, 12), 0, 10, 170, 1.0, width)
    else:  # a wave or a zigzag
        xs = np.linspace(10, 90, 40)
        ys = 50 + rng.uniform(10, 25) * (np.sin(xs / rng.uniform(5, 12)) if rng.random() < 0.5
                                          else np.abs(((xs / 10) % 2) - 1) * 2 - 1)
        cv2.polylines(canvas, [np.stack([xs, ys], 1).astype(np.int32)], False, 1.0, width)
    return tight(canvas) if canvas.max() > 0 else np.zeros((2, 2), np.float32)


def scribble(rng: np.random.Generator) -> np.ndarray:
    """Return the ink of a scribble: a smoothed random walk, a few random strokes, or a looping curve."""
    canvas = np.zeros((100, 100), np.float32)
    width = int(rng.uniform(2, 8))
    style = rng.random()
    if style < 0.3:
        steps = np.cumsum(rng.normal(0, 9, (int(rng.integers(15, 40)), 2)), axis=0)
        steps = cv2.GaussianBlur(steps.astype(np.float32), (1, 5), 0)
        points = 50 + 38 * steps / max(np.abs(steps).max(), 1)
        cv2.polylines(canvas, [points.astype(np.int32)], False, 1.0, width)
    elif style < 0.5:
        for _ in range(int(rng.integers(3, 7))):
            start, end = rng.uniform(8, 92, 2).astype(int), rng.uniform(8, 92, 2).astype(int)
            cv2.line(canvas, tuple(start), tuple(end), 1.0, width)
    else:  # what a hand draws when it tests a pen: a smooth curve that loops and doubles back
        cv2.polylines(canvas, [looping_curve(rng).astype(np.int32)], False, 1.0, width, cv2.LINE_AA)
    return tight(canvas) if canvas.max() > 0 else np.zeros((2, 2), np.float32)


def looping_curve(rng: np.random.Generator) -> np.ndarray:
    """Return the points (x, y in a 100x100 box) of a smooth curve through 7 to 15 random places."""
    places = rng.uniform(0, 1, (int(rng.integers(7, 16)), 2)) * [rng.uniform(0.5, 1), 1]
    # Catmull-Rom through the places: a curve with no corners, as a quick pen draws.
    padded = np.concatenate([places[:1], places, places[-1:]])
    t = np.linspace(0, 1, 12)[:-1, None]
    pieces = []
    for before, start, end, after in zip(padded, padded[1:], padded[2:], padded[3:], strict=False):
        pieces.append(0.5 * (2 * start + (end - before) * t + (2 * before - 5 * start + 4 * end - after) * t ** 2
                             + (3 * start - before - 3 * end + after) * t ** 3))
    points = np.concatenate(pieces + [places[-1:]])
    points = (points - points.min(0)) / max(float(np.ptp(points, axis=0).max()), 1e-6)
    return 10 + 80 * points


def non_digit(rng: np.random.Generator, fonts: list[Path]) -> np.ndarray:
    """Return one framed 28x28 mark that is not a digit (uint8, ink bright on black)."""
    while True:
        kind = KINDS[int(rng.integers(len(KINDS)))]
        ink = glyph(rng, fonts) if kind == "glyph" else shape(rng) if kind == "shape" else scribble(rng)
        if ink.max() < 0.5:
            continue
        # The same pens, blur and grain as the written digits get, so that none of them tells a digit.
        picture = framed(pen_and_camera(ink, rng))
        if picture is not None and picture.max() > 0:
            return picture


def pen_and_camera(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return ink (float 0..1) with a pen of another width, and half the time a photo's blur and grain."""
    height = ink.shape[0]
    ink = np.pad(ink, 4)  # room for a fatter pen and the blur
    radius = int(rng.integers(0, 3))
    if radius:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        if rng.random() < 0.5:
            ink = cv2.dilate(ink, kernel)
        else:
            thinner = cv2.erode(ink, kernel)
            # No thinner pen than the strokes allow: a 5-pixel one wears 78% of the fonts' glyphs
            # down by more than half (30% of the digits), leaving broken remnants no pen draws.
            if (thinner > 0.5).sum() >= 0.5 * (ink > 0.5).sum():
                ink = thinner
    if rng.random() < 0.5:  # a photo's blur and grain, before the server's threshold
        ink = cv2.GaussianBlur(ink, (0, 0), rng.uniform(0.5, max(0.03 * height, 0.6)))
        ink /= max(float(ink.max()), 1e-6)  # the server stretches a photo's contrast: a thin line stays
        ink = np.clip(ink + rng.normal(0, rng.uniform(0, 0.12), ink.shape).astype(np.float32), 0, 1)
    return ink


def written_digit(digit28: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return a digit as it reaches the model from a photo or a canvas: a pen of some width or a round
    brush, sometimes blurred and grainy, then framed as the server frames it."""
    if rng.random() < 0.35:  # drawn on a canvas with a round brush
        from digits.augment import brush_drawn

        return brush_drawn(np.asarray(digit28, np.uint8), rng)
    ink = pen_and_camera(written_ink(digit28, rng.uniform(40, 90)), rng)
    picture = framed(ink) if ink.max() > 0.5 else None
    return picture if picture is not None else np.asarray(digit28, np.uint8)


def non_digits(count: int, seed: int) -> np.ndarray:
    """Return ``count`` framed non-digits (uint8 (n, 28, 28)); picture i depends only on (seed, i)."""
    return _in_parallel(_non_digit_range, count, seed)


def written_digits(images: np.ndarray, seed: int) -> np.ndarray:
    """Return each digit as a pen writes it, framed as served (uint8 (n, 28, 28)); i depends on (seed, i)."""
    return _in_parallel(_written_range, len(images), seed, np.asarray(images, np.uint8).reshape(-1, 28, 28))


def _in_parallel(work, count: int, seed: int, images: np.ndarray | None = None) -> np.ndarray:
    """Run ``work(seed, first, count, images)`` over ranges of pictures, one process per core for big sets."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    workers = min(os.cpu_count() or 1, 8)
    if count < 2000 or workers < 2:
        return work(seed, 0, count, images)
    chunk = -(-count // workers)
    starts = list(range(0, count, chunk))
    # "spawn": the trainer has TensorFlow loaded, and forking a process that runs its threads can hang.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = pool.map(work, [seed] * len(starts), starts, [min(chunk, count - start) for start in starts],
                         [None if images is None else images[start:start + chunk] for start in starts])
        return np.concatenate(list(parts))


def _non_digit_range(seed: int, first: int, count: int, _images=None) -> np.ndarray:
    fonts = font_paths()
    return np.stack([non_digit(np.random.default_rng([seed, 13, first + index]), fonts) for index in range(count)])


def _written_range(seed: int, first: int, count: int, images: np.ndarray) -> np.ndarray:
    return np.stack([written_digit(images[index], np.random.default_rng([seed, 17, first + index]))
                     for index in range(count)])
