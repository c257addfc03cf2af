"""Read the numbers in pictures: decoded digit crops -> one batch through the model -> readings.

The one reading path that the JSON API, the result page and predict.py all use: ``prepare``
each picture (decode, find its digits), then ``read_prepared`` classifies the crops of many
pictures in one batch and decides which neighbouring marks are one digit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digits.preprocess import Decoded, DigitCrop, decode_picture, digits_from_decoded

# Below this top probability the page says plainly that the model is unsure.
LOW_CONFIDENCE = 0.6
# Reading two neighbouring marks as one digit counts this factor against it (see choose_readings).
JOIN_PRIOR = 0.5


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
        """Tell whether the model's best guess is below LOW_CONFIDENCE."""
        return self.confidence < LOW_CONFIDENCE


@dataclass(frozen=True)
class Reading:
    """The whole answer for one picture."""

    digits: list[DigitReading]
    model: str
    picture: Decoded | None  # kept for the result page's preview; None when nobody shows it

    @property
    def number(self) -> str:
        """Return the digits read, left to right, as one string."""
        return "".join(str(digit.digit) for digit in self.digits)

    @property
    def confidence(self) -> float:
        """Return the confidence of the least sure digit: how far the whole number may be trusted."""
        return min((digit.confidence for digit in self.digits), default=0.0)

    @property
    def unsure(self) -> bool:
        """Tell whether any digit is unsure."""
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


@dataclass(frozen=True)
class Prepared:
    """A picture decoded and cut into digit crops, ready for the model."""

    crops: list[DigitCrop]
    picture: Decoded | None


def prepare(data: bytes, keep_picture: bool = True) -> Prepared:
    """Decode a picture once and find its digits; raise PictureError when it cannot be read."""
    decoded = decode_picture(data)
    return Prepared(crops=digits_from_decoded(decoded), picture=decoded if keep_picture else None)


def read_picture(data: bytes, classifier) -> Reading:
    """Decode a picture once, find its digits and classify them all in one batch."""
    return read_prepared([prepare(data)], classifier)[0]


def read_prepared(pictures: list[Prepared], classifier, max_batch: int | None = None) -> list[Reading]:
    """Classify the crops of many prepared pictures in one batch; return one Reading per picture."""
    per_picture = [classification_inputs(picture.crops) for picture in pictures]
    inputs = [pixels for group in per_picture for pixels in group]
    if not inputs:
        return [Reading(digits=[], model=_model_name(classifier), picture=p.picture) for p in pictures]
    options = {} if max_batch is None else {"max_batch": max_batch}
    probabilities = classifier.probabilities(np.stack(inputs), **options)
    readings, position = [], 0
    for picture, group in zip(pictures, per_picture, strict=True):
        rows = probabilities[position:position + len(group)]
        position += len(group)
        digits = [_digit_reading(crop, row) for crop, row in choose_readings(picture.crops, rows)]
        readings.append(Reading(digits=digits, model=_model_name(classifier), picture=picture.picture))
    return readings


def _model_name(classifier) -> str:
    return classifier.card.get("name", classifier.name)


def _digit_reading(crop: DigitCrop, row: np.ndarray) -> DigitReading:
    row = np.asarray(row, dtype=np.float64)
    best = int(row.argmax())
    return DigitReading(digit=best, confidence=float(row[best]), probabilities=[float(value) for value in row],
                        box=crop.box, pixels=crop.pixels)


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
