"""Stage 5, framing: each digit's ink -> stroke evened -> 20x20 box -> 28x28 by centre of mass, as MNIST."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from digits.config import IMAGE_SIDE, INK_BOX_SIDE
from digits.errors import PictureError
from digits.preprocess.ink import ink_is_dark
from digits.preprocess.segment import DigitRegion, box_union, may_be_one_digit
from digits.preprocess.strokes import even_stroke


@dataclass(frozen=True)
class DigitCrop:
    """One digit found in a picture: its 28x28 model input and its box in the picture's pixels."""

    pixels: np.ndarray  # uint8 (28, 28), ink bright on black
    box: tuple[int, int, int, int]  # x, y, width, height in the uploaded picture
    # This piece and the next one framed as one digit, where they may be the parts of one (a 4
    # written in two strokes, a faint 0 broken in two): the reader keeps whichever reads surer.
    joined_with_next: DigitCrop | None = None


def frame_digits(regions: list[DigitRegion], labels: np.ndarray, ink: np.ndarray,
                 scale: tuple[float, float]) -> list[DigitCrop]:
    """Frame every region as a model input, with a joined alternative where two may be one digit.

    ``scale`` (x, y) turns working pixels into the uploaded picture's pixels for the boxes.
    """
    tallest = max(region.box[3] for region in regions)
    crops = []
    for index, region in enumerate(regions):
        crop = frame_region(region, labels, ink, scale)
        following = regions[index + 1] if index + 1 < len(regions) else None
        if following is not None and may_be_one_digit(region, following, tallest):
            joined = DigitRegion(box=box_union(region.box, following.box),
                                 pieces=region.pieces + following.pieces)
            crop = DigitCrop(pixels=crop.pixels, box=crop.box,
                             joined_with_next=frame_region(joined, labels, ink, scale))
        crops.append(crop)
    return crops


def frame_region(region: DigitRegion, labels: np.ndarray, ink: np.ndarray,
                 scale: tuple[float, float]) -> DigitCrop:
    """Cut one digit's own ink out of the ink map and frame it as a 28x28 model input."""
    x, y, w, h = region.box
    # Only this digit's own pieces: not specks or a neighbour's stroke inside its box.
    digit_mask = np.where(np.isin(labels[y:y + h, x:x + w], region.pieces), 255, 0).astype(np.uint8)
    near = cv2.dilate(digit_mask, np.ones((3, 3), np.uint8)) > 0
    # Keep the soft edges of the strokes: ink just next to the mask counts too.
    digit_ink = np.where(near, ink[y:y + h, x:x + w], 0).astype(np.float32)
    digit_ink = np.where(digit_mask > 0, np.maximum(digit_ink, 0.5 * digit_ink.max()), digit_ink)
    digit_ink = even_stroke(digit_ink, digit_mask, h)
    scale_x, scale_y = scale
    box = (int(round(x * scale_x)), int(round(y * scale_y)),
           max(1, int(round(w * scale_x))), max(1, int(round(h * scale_y))))
    return DigitCrop(pixels=to_mnist_square(digit_ink), box=box)


def to_mnist_square(ink: np.ndarray) -> np.ndarray:
    """Scale a cropped digit's ink (float, 0–1) into a 20x20 box and centre it by mass in 28x28."""
    height, width = ink.shape
    factor = INK_BOX_SIDE / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    small = cv2.resize(ink.astype(np.float32), size, interpolation=interpolation)
    peak = float(small.max())
    if peak > 0:
        small = np.clip(small / peak, 0, 1)  # the strongest ink becomes full white, as in MNIST
    canvas = np.zeros((IMAGE_SIDE, IMAGE_SIDE), np.float32)
    top, left = (IMAGE_SIDE - size[1]) // 2, (IMAGE_SIDE - size[0]) // 2
    canvas[top:top + size[1], left:left + size[0]] = small
    return centre_by_mass(canvas)


def centre_by_mass(square: np.ndarray) -> np.ndarray:
    """Shift a 28x28 picture so its centre of mass is the centre, as MNIST did; return uint8."""
    total = float(square.sum())
    if total <= 0:
        return np.zeros_like(square, dtype=np.uint8)
    rows, columns = np.indices(square.shape)
    centre_y = float((rows * square).sum() / total)
    centre_x = float((columns * square).sum() / total)
    middle = (IMAGE_SIDE - 1) / 2
    shift = np.float32([[1, 0, round(middle - centre_x)], [0, 1, round(middle - centre_y)]])
    moved = cv2.warpAffine(square, shift, (IMAGE_SIDE, IMAGE_SIDE), flags=cv2.INTER_NEAREST,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return np.round(np.clip(moved, 0, 1) * 255).astype(np.uint8)


def already_mnist(grey: np.ndarray) -> DigitCrop:
    """Pass a 28x28 picture through unchanged (only its polarity fixed): it is model-sized already."""
    pixels = grey if not ink_is_dark(grey) else 1.0 - grey
    pixels8 = np.round(np.clip(pixels, 0, 1) * 255).astype(np.uint8)
    if pixels8.max() < 50:
        raise PictureError("no digit found", status=422)
    return DigitCrop(pixels=pixels8, box=(0, 0, IMAGE_SIDE, IMAGE_SIDE))


def to_model_input(pictures: np.ndarray) -> np.ndarray:
    """Scale 0–255 pictures (n, 28, 28) or rows (n, 784) to float32 (n, 28, 28, 1) in [0, 1]."""
    array = np.asarray(pictures, dtype=np.float32)
    return (array / 255.0).reshape(-1, IMAGE_SIDE, IMAGE_SIDE, 1)
