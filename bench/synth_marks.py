"""Seeded renderers of marks that are not digits, as people write them: letters, symbols, shapes, scribbles.

Deliberately another generator than the one the mark checker trains on (digits/nondigits.py
draws font glyphs): here every letter and symbol is a hand-made skeleton of strokes, each point
jittered, drawn with a pen of random width, then photographed or put on a canvas in the styles
of bench/synth.py. A figure that only held on the training generator would not count.
"""

from __future__ import annotations

import cv2
import numpy as np
from common import canvas_png
from synth import INKS, lighting, paper, photograph, place

from digits.pen import tight


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float, steps: int = 14) -> list:
    angles = np.deg2rad(np.linspace(start, stop, steps))
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in angles]


# Strokes in a unit box, x to the right and y down; each stroke is a polyline.
LETTERS = {
    "A": [[(0, 1), (0.5, 0), (1, 1)], [(0.25, 0.55), (0.75, 0.55)]],
    "C": [_arc(0.55, 0.5, 0.5, 0.5, 40, 320)],
    "E": [[(0.9, 0), (0, 0), (0, 1), (0.9, 1)], [(0, 0.5), (0.7, 0.5)]],
    "F": [[(0.9, 0), (0, 0), (0, 1)], [(0, 0.5), (0.7, 0.5)]],
    "H": [[(0, 0), (0, 1)], [(1, 0), (1, 1)], [(0, 0.5), (1, 0.5)]],
    "K": [[(0, 0), (0, 1)], [(0.9, 0), (0, 0.55), (0.9, 1)]],
    "M": [[(0, 1), (0.05, 0), (0.5, 0.65), (0.95, 0), (1, 1)]],
    "N": [[(0, 1), (0, 0), (1, 1), (1, 0)]],
    "P": [[(0, 1), (0, 0), *_arc(0.45, 0.25, 0.45, 0.25, -90, 90), (0, 0.5)]],
    "R": [[(0, 1), (0, 0), *_arc(0.45, 0.25, 0.45, 0.25, -90, 90), (0, 0.5), (0.9, 1)]],
    "T": [[(0, 0), (1, 0)], [(0.5, 0), (0.5, 1)]],
    "V": [[(0, 0), (0.5, 1), (1, 0)]],
    "W": [[(0, 0), (0.25, 1), (0.5, 0.35), (0.75, 1), (1, 0)]],
    "X": [[(0, 0), (1, 1)], [(1, 0), (0, 1)]],
    "Y": [[(0, 0), (0.5, 0.5), (1, 0)], [(0.5, 0.5), (0.5, 1)]],
    "a": [_arc(0.45, 0.62, 0.4, 0.38, -60, 300), [(0.88, 0.25), (0.88, 1)]],
    "e": [[(0.05, 0.6), (0.95, 0.6), *_arc(0.5, 0.6, 0.45, 0.4, 0, -300)]],
    "h": [[(0, 0), (0, 1)], [(0, 0.65), *_arc(0.45, 0.65, 0.45, 0.35, 180, 360), (0.9, 1)]],
    "k": [[(0, 0), (0, 1)], [(0.8, 0.35), (0, 0.7), (0.8, 1)]],
    "m": [[(0, 1), (0, 0.4), *_arc(0.25, 0.55, 0.25, 0.25, 180, 360), (0.5, 1)],
          [(0.5, 0.55), *_arc(0.75, 0.55, 0.25, 0.25, 180, 360), (1, 1)]],
    "n": [[(0, 1), (0, 0.35)], [(0, 0.6), *_arc(0.45, 0.6, 0.45, 0.3, 180, 360), (0.9, 1)]],
    "r": [[(0, 1), (0, 0.35)], [(0, 0.65), *_arc(0.45, 0.65, 0.45, 0.3, 180, 300)]],
    "t": [[(0.4, 0), (0.4, 0.85), *_arc(0.7, 0.85, 0.3, 0.15, 180, 60)], [(0.05, 0.35), (0.8, 0.35)]],
    "u": [[(0, 0.3), (0, 0.7), *_arc(0.45, 0.7, 0.45, 0.3, 180, 0), (0.9, 0.3)], [(0.9, 0.7), (0.95, 1)]],
    "v": [[(0, 0.3), (0.5, 1), (1, 0.3)]],
    "w": [[(0, 0.3), (0.25, 1), (0.5, 0.5), (0.75, 1), (1, 0.3)]],
    "x": [[(0, 0.3), (1, 1)], [(1, 0.3), (0, 1)]],
    "y": [[(0, 0), (0.5, 0.55)], [(1, 0), (0.3, 1)]],
}
SYMBOLS = {
    "+": [[(0.5, 0), (0.5, 1)], [(0, 0.5), (1, 0.5)]],
    "-": [[(0, 0.5), (1, 0.5)]],
    "×": [[(0.1, 0.1), (0.9, 0.9)], [(0.9, 0.1), (0.1, 0.9)]],
    "=": [[(0, 0.3), (1, 0.3)], [(0, 0.7), (1, 0.7)]],
    "?": [[*_arc(0.5, 0.28, 0.4, 0.28, 200, 420), (0.5, 0.6), (0.5, 0.72)], [(0.48, 0.95), (0.52, 0.97)]],
    "#": [[(0.35, 0), (0.25, 1)], [(0.75, 0), (0.65, 1)], [(0, 0.35), (1, 0.35)], [(0, 0.68), (1, 0.68)]],
    "$": [[*_arc(0.5, 0.3, 0.4, 0.2, -20, -270), *_arc(0.5, 0.7, 0.4, 0.2, -90, 160)], [(0.5, -0.1), (0.5, 1.1)]],
    "%": [[(0.9, 0), (0.1, 1)], _arc(0.2, 0.2, 0.15, 0.15, 0, 360), _arc(0.8, 0.8, 0.15, 0.15, 0, 360)],
    "/": [[(0.8, 0), (0.2, 1)]],
    "(": [_arc(0.9, 0.5, 0.6, 0.55, 120, 240)],
    ")": [_arc(0.1, 0.5, 0.6, 0.55, -60, 60)],
}
SHAPES = {
    "triangle": [[(0.5, 0), (1, 1), (0, 1), (0.5, 0)]],
    "square": [[(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]],
    "star": [[(0.5, 0), (0.8, 1), (0, 0.35), (1, 0.35), (0.2, 1), (0.5, 0)]],
    "smiley": [_arc(0.5, 0.5, 0.5, 0.5, 0, 360), _arc(0.5, 0.55, 0.28, 0.22, 20, 160),
               [(0.33, 0.32), (0.35, 0.36)], [(0.65, 0.32), (0.67, 0.36)]],
    "spiral": [[(0.5 + r * np.cos(a) / 2, 0.5 + r * np.sin(a) / 2) for r, a in
                zip(np.linspace(0.05, 1, 30), np.linspace(0, 4 * np.pi, 30), strict=True)]],
    "arrow": [[(0, 0.5), (1, 0.5)], [(0.7, 0.25), (1, 0.5), (0.7, 0.75)]],
    "heart": [[(0.5, 1), (0, 0.4), *_arc(0.25, 0.3, 0.25, 0.22, 180, 360), *_arc(0.75, 0.3, 0.25, 0.22, 180, 360),
               (1, 0.4), (0.5, 1)]],
    "check": [[(0, 0.6), (0.35, 1), (1, 0)]],
}
KINDS = {"letter": LETTERS, "symbol": SYMBOLS, "shape": SHAPES}


def written_mark(strokes: list, height: float, aspect: float, rng: np.random.Generator) -> np.ndarray:
    """Return the ink (float 0..1) of strokes drawn with a jittery hand and one pen, ``height`` pixels tall."""
    width = height * aspect
    pen = max(2, int(rng.uniform(0.05, 0.13) * height))
    margin = pen + 4
    ink = np.zeros((int(height * 1.3) + 2 * margin, int(width * 1.3) + 2 * margin), np.float32)
    slant = rng.uniform(-0.2, 0.2)
    for stroke in strokes:
        points = np.array(stroke, np.float64)
        points += rng.normal(0, 0.035, points.shape)
        xs = margin + (points[:, 0] + slant * (1 - points[:, 1])) * width
        ys = margin + points[:, 1] * height
        cv2.polylines(ink, [np.stack([xs, ys], 1).round().astype(np.int32)], False, 1.0, pen, cv2.LINE_AA)
    return tight(cv2.GaussianBlur(ink, (0, 0), max(0.5, height / 150)))


def scribble_mark(height: float, rng: np.random.Generator) -> np.ndarray:
    """Return the ink of a scribble: a looping line drawn fast, as when someone tests a pen."""
    steps = int(rng.integers(20, 50))
    angles = np.cumsum(rng.normal(0, 0.9, steps))
    points = np.cumsum(np.stack([np.cos(angles), np.sin(angles)], 1), axis=0)
    points = (points - points.min(0)) / max(np.ptp(points, axis=0).max(), 1e-6)
    return written_mark([list(map(tuple, points))], height, rng.uniform(0.8, 1.6), rng)


def mark_of(kind: str, rng: np.random.Generator, height: float) -> tuple[np.ndarray, str]:
    """Return (ink, name) of one random mark of a kind: letter, symbol, shape or scribble."""
    if kind == "scribble":
        return scribble_mark(height, rng), "scribble"
    names = list(KINDS[kind])
    name = names[int(rng.integers(len(names)))]
    return written_mark(KINDS[kind][name], height, rng.uniform(0.7, 1.1), rng), name


def photo_of_mark(ink: np.ndarray, rng: np.random.Generator) -> bytes:
    """A phone photo of one mark on paper, as JPEG bytes (paper, ink, light and camera as bench/synth.py)."""
    margin_x, margin_y = (int(rng.uniform(0.3, 1.2) * ink.shape[0]) + 6 for _ in range(2))
    page = paper(ink.shape[0] + 2 * margin_y, ink.shape[1] + 2 * margin_x, rng, ruled=rng.random() < 0.4)
    colour = np.array(INKS[rng.choice(list(INKS))], np.float32) + rng.normal(0, 6, 3)
    place(page, ink, margin_x, margin_y, colour, rng.uniform(0.8, 1.0))
    page *= lighting(*page.shape[:2], rng)
    return photograph(page, rng)


def canvas_of_mark(ink: np.ndarray, rng: np.random.Generator) -> bytes:
    """A 280x280 canvas drawing (black on transparent) of one mark, as PNG bytes."""
    return canvas_png(ink, (280, 280), rng)
