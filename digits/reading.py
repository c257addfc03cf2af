"""Read the number in an uploaded picture: request payloads -> digits -> one batch -> result."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

import cv2
import numpy as np

from digits.preprocess import (
    Decoded,
    DigitCrop,
    PictureError,
    decode_picture,
    digits_from_decoded,
    transparent_background,
)

# Below this top probability the page says plainly that the model is unsure.
LOW_CONFIDENCE = 0.6
# Reading two neighbouring marks as one digit counts this factor against it (see choose_readings).
JOIN_PRIOR = 0.5
DATA_URI = re.compile(r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(;[\w=.+-]+)*),(?P<data>.*)$", re.S)


@dataclass(frozen=True)
class DigitReading:
    """One digit of a reading: what the model read, how sure it is, and where it was."""

    digit: int
    confidence: float
    probabilities: list[float]
    box: tuple[int, int, int, int]
    pixels: np.ndarray  # the 28x28 input the model saw

    @property
    def unsure(self) -> bool:
        return self.confidence < LOW_CONFIDENCE


@dataclass(frozen=True)
class Reading:
    """The whole answer for one picture."""

    digits: list[DigitReading]
    model: str
    picture: Decoded

    @property
    def number(self) -> str:
        return "".join(str(digit.digit) for digit in self.digits)

    @property
    def unsure(self) -> bool:
        return any(digit.unsure for digit in self.digits)

    def to_json(self) -> dict:
        """Return the API's JSON contract for this reading."""
        return {
            "number": self.number,
            "digits": [
                {"digit": d.digit, "confidence": round(d.confidence, 4),
                 "probabilities": [round(p, 4) for p in d.probabilities], "box": list(d.box)}
                for d in self.digits
            ],
            "model": self.model,
        }


def bytes_from_data_uri(text: object) -> bytes:
    """Return the bytes of a ``data:image/...;base64,...`` URI, or raise PictureError."""
    if not isinstance(text, str) or not text:
        raise PictureError('"image" must be a data URI string like "data:image/png;base64,..."')
    match = DATA_URI.match(text.strip())
    if not match or ";base64" not in match.group("params"):
        raise PictureError('"image" must be a base64 data URI like "data:image/png;base64,..."')
    media_type = match.group("type") or ""
    if not media_type.startswith("image/"):
        raise PictureError(f"the data URI holds {media_type or 'no type'}, not a picture", status=415)
    try:
        return base64.b64decode(re.sub(r"\s+", "", match.group("data")), validate=True)
    except (binascii.Error, ValueError):
        raise PictureError("the data URI's base64 text is damaged") from None


def classification_inputs(crops: list[DigitCrop]) -> list[np.ndarray]:
    """Return the 28x28 pictures to classify for ``crops``: each crop, then each joined alternative."""
    return ([crop.pixels for crop in crops]
            + [crop.joined_with_next.pixels for crop in crops if crop.joined_with_next is not None])


def choose_readings(crops: list[DigitCrop], probabilities: np.ndarray) -> list[tuple[DigitCrop, np.ndarray]]:
    """Decide which neighbouring marks are one digit; return (crop, probabilities) left to right.

    ``probabilities`` has one row per picture of classification_inputs(crops). Of all ways to
    read the marks (each alone, or a pair joined where the pair may be one digit), the one
    whose digits the model is surest of, all together, wins; a joined pair counts JOIN_PRIOR
    against it, so marks are read apart unless reading them as one digit is much surer.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    alone = probabilities[:len(crops)]
    if all(crop.joined_with_next is None for crop in crops):  # nothing to decide (every 28x28 file)
        return list(zip(crops, alone, strict=True))
    joined: list[np.ndarray | None] = []
    position = len(crops)
    for crop in crops:
        joined.append(probabilities[position] if crop.joined_with_next is not None else None)
        position += crop.joined_with_next is not None
    # best[i]: the surest reading of the first i marks, as (log confidence, [(crop, row), ...]).
    best: list[tuple[float, list] | None] = [(0.0, [])] + [None] * len(crops)
    for index, crop in enumerate(crops):
        if best[index] is None:
            continue
        score, readings = best[index]
        options = [(index + 1, score + np.log(max(alone[index].max(), 1e-12)), (crop, alone[index]))]
        if joined[index] is not None and index + 1 < len(crops):
            options.append((index + 2, score + np.log(max(joined[index].max(), 1e-12)) + np.log(JOIN_PRIOR),
                            (crop.joined_with_next, joined[index])))
        for end, total, reading in options:
            if best[end] is None or total > best[end][0]:
                best[end] = (total, readings + [reading])
    return best[len(crops)][1]


def read_picture(data: bytes, classifier) -> Reading:
    """Decode a picture once, find its digits and classify them all in one batch."""
    decoded = decode_picture(data)
    crops: list[DigitCrop] = digits_from_decoded(decoded)
    probabilities = classifier.probabilities(np.stack(classification_inputs(crops)))
    digits = []
    for crop, row in choose_readings(crops, probabilities):
        row = np.asarray(row, dtype=np.float64)
        best = int(row.argmax())
        digits.append(DigitReading(digit=best, confidence=float(row[best]),
                                   probabilities=[float(value) for value in row], box=crop.box,
                                   pixels=crop.pixels))
    return Reading(digits=digits, model=classifier.card.get("name", classifier.name), picture=decoded)


def png_data_uri(pixels: np.ndarray) -> str:
    """Encode a uint8 grey or RGB(A) array as a PNG data URI for inline display."""
    array = np.asarray(pixels)
    if array.ndim == 3 and array.shape[2] == 4:
        array = cv2.cvtColor(array, cv2.COLOR_RGBA2BGRA)
    elif array.ndim == 3:
        array = cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    ok, encoded = cv2.imencode(".png", array)
    if not ok:  # pragma: no cover - encoding a uint8 array cannot fail
        raise ValueError("could not encode PNG")
    return "data:image/png;base64," + base64.b64encode(encoded.tobytes()).decode("ascii")


def preview_data_uri(decoded: Decoded, longest_side: int = 560) -> str:
    """Return the uploaded picture, upright, on white and at most ``longest_side``, as a data URI."""
    rgba = decoded.rgba
    height, width = rgba.shape[:2]
    factor = min(1.0, longest_side / max(height, width))
    if factor < 1.0:
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        rgba = cv2.resize(rgba, size, interpolation=cv2.INTER_AREA)
    elif max(height, width) < 140:
        # Tiny pictures (a 28x28 MNIST digit) are enlarged with visible pixels.
        factor = max(1, 280 // max(height, width))
        rgba = cv2.resize(rgba, (width * factor, height * factor), interpolation=cv2.INTER_NEAREST)
    alpha = rgba[..., 3:4]
    rgb = rgba[..., :3] * alpha + transparent_background(rgba) * (1 - alpha)
    return png_data_uri(np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8))
