"""Stage 5, framing: each candidate digit's ink -> stroke evened -> 20x20 box -> 28x28 by centre of mass, as MNIST."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from digits.config import IMAGE_SIDE, INK_BOX_SIDE
from digits.errors import PictureError
from digits.preprocess.ink import ink_is_dark
from digits.preprocess.layout import Candidate, LineLayout, NumberLayout, Part
from digits.preprocess.loops import reopen_loops
from digits.preprocess.scaling import scaled_ink
from digits.preprocess.segment import Box, box_union
from digits.preprocess.strips import frame_strip
from digits.preprocess.strokes import even_stroke, is_bold

# A bold digit at most SMALL_DIGIT working pixels tall is also framed as written, unthinned: a
# phone's blur is a share of the whole photo, so in a small digit it is what made the strokes
# bold, and thinning them wears away what the blur left of the shape. Bold page digits are 28-58
# px tall here (lists 34-82), numbers 62-181 and one-digit photos 52-260, where boldness is the
# pen's (5th-95th percentiles, bench/pages.py and bench/realworld.py, seed 7).
SMALL_DIGIT = 60


@dataclass(frozen=True)
class DigitCrop:
    """One digit found in a picture: its 28x28 model input and its box in the picture's pixels."""

    pixels: np.ndarray  # uint8 (28, 28), ink bright on black
    box: tuple[int, int, int, int]  # x, y, width, height in the uploaded picture
    # The same mark framed as written, where a small digit's bold strokes were thinned: both are read.
    as_written: np.ndarray | None = None


@dataclass(frozen=True)
class CandidateCrop:
    """A run of a number's parts (see digits.preprocess.layout.Candidate) framed as one digit."""

    candidate: Candidate
    crop: DigitCrop

    @property
    def first(self) -> int:
        """Return the run's first part."""
        return self.candidate.first

    @property
    def last(self) -> int:
        """Return the run's last part."""
        return self.candidate.last


@dataclass(frozen=True)
class StripCrop:
    """A mark framed as a strip for the sequence reader: a second reading, and touching digits where wide."""

    part: int  # which part of its number (for a joined strip, the first)
    pixels: np.ndarray  # uint8 (28, width)
    box: tuple[int, int, int, int]  # the mark's box in the uploaded picture
    columns_per_pixel: float  # strip columns per pixel of the uploaded picture
    left: float  # the strip column of the box's left edge
    wide: bool = True  # wide enough to hold several touching digits
    joined_last: int | None = None  # a strip of the marks a candidate joins: its last part (``part``: its first)
    # The same single mark framed as written, where a small digit's bold strokes were thinned.
    as_written: np.ndarray | None = None

    def picture_columns(self, first_column: float, last_column: float) -> tuple[int, int]:
        """Return the picture's columns (left, right) that strip columns first..last show."""
        x = self.box[0]
        left = x + (first_column - self.left) / self.columns_per_pixel
        right = x + (last_column - self.left) / self.columns_per_pixel
        return (int(round(max(left, x))), int(round(min(right, x + self.box[2]))))


@dataclass(frozen=True)
class NumberCrops:
    """One number: how many parts it has, every candidate digit framed, a strip per part and per join; its box."""

    box: tuple[int, int, int, int]
    part_count: int
    candidates: list[CandidateCrop]
    strips: list[StripCrop] = field(default_factory=list)
    joined_strips: list[StripCrop] = field(default_factory=list)  # the marks each joining candidate joins


@dataclass(frozen=True)
class LineCrops:
    """One line of writing: its numbers, left to right; its box in the picture."""

    box: tuple[int, int, int, int]
    numbers: list[NumberCrops]


def frame_page(lines: list[LineLayout], ink: np.ndarray, scale: tuple[float, float],
               closing: float) -> list[LineCrops]:
    """Frame every candidate digit of every number as a 28x28 model input.

    ``scale`` (x, y) turns working pixels into the uploaded picture's pixels for the boxes;
    ``closing``: the width of the ink map's paper closing (see reopen_loops).
    """
    return [LineCrops(box=_scaled(line.box, scale),
                      numbers=[frame_number(number, ink, scale, closing) for number in line.numbers])
            for line in lines]


def moved_by(lines: list[LineCrops], dx: int, dy: int) -> list[LineCrops]:
    """Return the lines with every box moved by (dx, dy): a region's boxes in the whole picture's pixels."""
    def move(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        return (box[0] + dx, box[1] + dy, box[2], box[3])

    def moved_number(number: NumberCrops) -> NumberCrops:
        return replace(number, box=move(number.box),
                       candidates=[replace(c, crop=replace(c.crop, box=move(c.crop.box))) for c in number.candidates],
                       strips=[replace(strip, box=move(strip.box)) for strip in number.strips],
                       joined_strips=[replace(strip, box=move(strip.box)) for strip in number.joined_strips])

    return [LineCrops(box=move(line.box), numbers=[moved_number(number) for number in line.numbers])
            for line in lines]


def frame_number(number: NumberLayout, ink: np.ndarray, scale: tuple[float, float],
                 closing: float) -> NumberCrops:
    """Frame each candidate run of a number's parts as one digit (``closing``: see frame_page)."""
    own_inks: dict[tuple[int, int], OwnInk] = {}

    def own_ink_of(first: int, last: int) -> OwnInk:
        # Each part is framed both as a digit and as a strip: its ink is cut out once.
        if (first, last) not in own_inks:
            own_inks[first, last] = _own_ink(number.parts[first:last + 1], ink, closing)
        return own_inks[first, last]

    candidates = [CandidateCrop(candidate, _framed_digit(own_ink_of(candidate.first, candidate.last), scale))
                  for candidate in number.candidates]
    # Every part gets a strip: the sequence reader's reading of a single digit, joined with the
    # classifier's, misreads a quarter fewer page digits (see reader.both_readers).
    strips = [_framed_strip(index, index, number.parts, own_ink_of(index, index), scale)
              for index in range(len(number.parts))]
    # And the marks a candidate would join: the sequence reader says whether they hold one digit or two.
    joined_strips = [_framed_strip(run.first, run.last, number.parts, own_ink_of(run.first, run.last), scale)
                     for run in number.candidates if run.last > run.first]
    return NumberCrops(box=_scaled(number.box, scale), part_count=len(number.parts), candidates=candidates,
                       strips=strips, joined_strips=joined_strips)


# The box around some parts, their own ink there (soft edges kept) and their mask.
OwnInk = tuple[Box, np.ndarray, np.ndarray]


def _framed_digit(own: OwnInk, scale: tuple[float, float]) -> DigitCrop:
    box, digit_ink, digit_mask = own
    evened = even_stroke(digit_ink, digit_mask, box.height)
    thinned = evened is not digit_ink and _small_and_bold(box, digit_mask)
    return DigitCrop(pixels=to_mnist_square(evened), box=_scaled(box, scale),
                     as_written=to_mnist_square(digit_ink) if thinned else None)


def _small_and_bold(box: Box, mask: np.ndarray) -> bool:
    """Tell whether a mark is a small digit whose strokes are bold enough to be thinned (see SMALL_DIGIT)."""
    return box.height <= SMALL_DIGIT and is_bold(mask, box.height)


def _framed_strip(first: int, last: int, parts: list[Part], own: OwnInk, scale: tuple[float, float]) -> StripCrop:
    box, mark_ink, mark_mask = own
    digit_height = max(part.digit_height for part in parts[first:last + 1])
    strip = frame_strip(mark_ink, mark_mask, digit_height)
    as_written = None
    if first == last and _small_and_bold(box, mark_mask):
        as_written = frame_strip(mark_ink, mark_mask, digit_height, even=False).pixels
        if np.array_equal(as_written, strip.pixels):  # thinning would have broken its shape
            as_written = None
    return StripCrop(part=first, pixels=strip.pixels, box=_scaled(box, scale), as_written=as_written,
                     columns_per_pixel=strip.scale / scale[0], left=strip.left,
                     wide=first == last and parts[first].may_be_several, joined_last=last if last > first else None)


def _own_ink(parts: list[Part], ink: np.ndarray, closing: float) -> OwnInk:
    """Return the box around the parts, their own ink there (soft edges kept) and their mask.

    Loops that blur filled in are opened again (reopen_loops, with the paper's ``closing``).
    """
    x, y, w, h = box = _around_parts(parts)
    own_mask = np.zeros((h, w), np.uint8)
    for part in parts:
        left, top = part.box.x - x, part.box.y - y
        region = own_mask[top:top + part.box.height, left:left + part.box.width]
        np.maximum(region, part.mask, out=region)
    own_mask = reopen_loops(ink[y:y + h, x:x + w], own_mask, closing)
    near = cv2.dilate(own_mask, np.ones((3, 3), np.uint8)) > 0
    # Keep the soft edges of the strokes: ink just next to the mask counts too.
    own_ink = np.where(near, ink[y:y + h, x:x + w], 0).astype(np.float32)
    own_ink = np.where(own_mask > 0, np.maximum(own_ink, 0.5 * own_ink.max()), own_ink)
    return box, own_ink, own_mask


def _around_parts(parts: list[Part]) -> Box:
    box = parts[0].box
    for part in parts[1:]:
        box = box_union(box, part.box)
    return Box(*box)


def _scaled(box: tuple[int, int, int, int], scale: tuple[float, float]) -> tuple[int, int, int, int]:
    """Return a working-pixel box in the uploaded picture's pixels."""
    x, y, w, h = box
    scale_x, scale_y = scale
    return (int(round(x * scale_x)), int(round(y * scale_y)),
            max(1, int(round(w * scale_x))), max(1, int(round(h * scale_y))))


def to_mnist_square(ink: np.ndarray) -> np.ndarray:
    """Scale a cropped digit's ink (float, 0–1) into a 20x20 box and centre it by mass in 28x28."""
    small = scaled_ink(ink, INK_BOX_SIDE / max(ink.shape))
    size = (small.shape[1], small.shape[0])
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


def already_mnist(grey: np.ndarray) -> list[LineCrops]:
    """Pass a 28x28 picture through unchanged (only its polarity fixed): it is model-sized already."""
    pixels = grey if not ink_is_dark(grey) else 1.0 - grey
    pixels8 = np.round(np.clip(pixels, 0, 1) * 255).astype(np.uint8)
    if pixels8.max() < 50:
        raise PictureError("no digit found", status=422)
    box = (0, 0, IMAGE_SIDE, IMAGE_SIDE)
    number = NumberCrops(box=box, part_count=1,
                         candidates=[CandidateCrop(Candidate(0, 0), DigitCrop(pixels8, box))])
    return [LineCrops(box=box, numbers=[number])]


def to_model_input(pictures: np.ndarray) -> np.ndarray:
    """Scale 0–255 pictures (n, 28, 28) or rows (n, 784) to float32 (n, 28, 28, 1) in [0, 1]."""
    array = np.asarray(pictures, dtype=np.float32)
    return (array / 255.0).reshape(-1, IMAGE_SIDE, IMAGE_SIDE, 1)
