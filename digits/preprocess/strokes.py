"""Stroke width: measured on a mask, and evened out towards MNIST's before a digit is framed."""

from __future__ import annotations

import cv2
import numpy as np

from digits.pen import loops_and_pieces

# MNIST strokes are about 2.5 px in a 20 px tall digit: 12% of the height.
MNIST_STROKE_SHARE = 0.12
# Strokes under THICKEN_BELOW or over THIN_ABOVE times MNIST's width are evened towards it.
THICKEN_BELOW = 0.7
THIN_ABOVE = 1.4


def stroke_width(mask: np.ndarray) -> float:
    """Estimate the mean stroke width of a binary digit: 2 x area / perimeter."""
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(contour, True) for contour in contours)
    area = float(np.count_nonzero(mask))
    return 2.0 * area / perimeter if perimeter > 0 else 0.0


def even_stroke(ink: np.ndarray, mask: np.ndarray, digit_height: int, keep_shading: bool = True) -> np.ndarray:
    """Return the ink of one digit with its strokes thickened or thinned towards MNIST's width.

    A thicker pen must not fill a loop in (the small loop of a 6 drawn with a fine pen), and
    a finer one must not break a stroke in two: the change is made smaller until it keeps the
    digit's loops and pieces, or not made at all.

    A thinned stroke keeps the ink's shading (``keep_shading``): a stroke made bold by blur
    fills the corner of a 7 or the neck of a 3 with ink lighter than the stroke itself, and a
    flat thinned mask showed the model a 9 or a blob (on seed-7 and -11 pages, bold page digits
    were misread 114 times in 5,358 with a flat mask, 68 with the shading). Ink as flat as a
    marker's comes out exactly as before. The trainers pass False: the shipped models were
    trained on flat thinned strokes, and their training pictures must stay as they were.
    """
    target = MNIST_STROKE_SHARE * max(digit_height, 1)
    current = stroke_width(mask)
    if current <= 0:
        return ink
    if current < THICKEN_BELOW * target:
        size = int(round(target - current)) | 1
        change = cv2.dilate
    elif current > THIN_ABOVE * target:
        size = int(round((current - target) / 2)) * 2 + 1
        change = cv2.erode
    else:
        return ink
    least = max(4, int(current * current))  # smaller specks of paper or ink are noise, not shape
    shape = loops_and_pieces(mask, least)
    while size > 1:
        changed = change(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
        if (np.count_nonzero(changed) > 0.25 * np.count_nonzero(mask)
                and loops_and_pieces(changed, least) == shape):
            evened = cv2.GaussianBlur(changed.astype(np.float32) / 255.0, (3, 3), 0)
            return evened * shading(ink, mask) if keep_shading and change is cv2.erode else evened
        size = (size // 2) | 1
    return ink


def is_bold(mask: np.ndarray, digit_height: int) -> bool:
    """Tell whether a digit's strokes are wide enough for even_stroke to thin them."""
    return stroke_width(mask) > THIN_ABOVE * MNIST_STROKE_SHARE * max(digit_height, 1)


def shading(ink: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Return the ink as a share of the mark's strong ink (see strong_ink), at most 1."""
    return np.clip(ink / max(strong_ink(ink, mask), 1e-6), 0.0, 1.0).astype(np.float32)


def strong_ink(ink: np.ndarray, mask: np.ndarray) -> float:
    """Return a mark's strong ink: the 95th percentile of the ink map over its mask (non-empty)."""
    values = ink[mask > 0]
    rank = int(0.95 * (values.size - 1))
    return float(np.partition(values, rank)[rank])
