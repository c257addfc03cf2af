"""Read the numbers in pictures: candidate digits -> one batch through the model -> the surest reading.

The one reading path that the JSON API, the result page and predict.py all use: ``prepare``
each picture (decode, lay out its lines and numbers, frame every candidate digit), then
``read_prepared`` classifies the candidates of many pictures in one batch and, for each
number, keeps the way of cutting and joining its parts that the model is surest of.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from digits.ctc import DecodedDigit
from digits.preprocess import (
    Decoded,
    DigitCrop,
    LineCrops,
    NumberCrops,
    decode_picture,
    page_from_decoded,
)
from digits.preprocess.framing import CandidateCrop, StripCrop, to_mnist_square
from digits.preprocess.strips import FRAME_WIDTH

# Below this top probability the page says plainly that the model is unsure.
LOW_CONFIDENCE = 0.6


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

    def to_json(self) -> dict:
        """Return this digit as the API shows it."""
        return {"digit": self.digit, "confidence": round(self.confidence, 4),
                "probabilities": [round(p, 4) for p in self.probabilities], "box": list(self.box)}


@dataclass(frozen=True)
class NumberReading:
    """One number: its digits left to right and its box."""

    digits: list[DigitReading]
    box: tuple[int, int, int, int]

    @property
    def number(self) -> str:
        """Return the number's digits as one string."""
        return "".join(str(digit.digit) for digit in self.digits)


@dataclass(frozen=True)
class LineReading:
    """One line of writing: its numbers left to right and its box."""

    numbers: list[NumberReading]
    box: tuple[int, int, int, int]

    @property
    def text(self) -> str:
        """Return the line's numbers separated by one space."""
        return " ".join(number.number for number in self.numbers)


@dataclass(frozen=True)
class Reading:
    """The whole answer for one picture: its lines, top to bottom."""

    lines: list[LineReading]
    model: str
    picture: Decoded | None  # kept for the result page's preview; None when nobody shows it

    @property
    def digits(self) -> list[DigitReading]:
        """Return every digit in reading order: lines top to bottom, each left to right."""
        return [digit for line in self.lines for number in line.numbers for digit in number.digits]

    @property
    def number(self) -> str:
        """Return all the digits read, in reading order, as one string."""
        return "".join(str(digit.digit) for digit in self.digits)

    @property
    def text(self) -> str:
        """Return the reading as text: numbers separated by one space, lines by a newline."""
        return "\n".join(line.text for line in self.lines)

    @property
    def confidence(self) -> float:
        """Return the confidence of the least sure digit: how far the whole reading may be trusted."""
        return min((digit.confidence for digit in self.digits), default=0.0)

    @property
    def unsure(self) -> bool:
        """Tell whether any digit is unsure."""
        return any(digit.unsure for digit in self.digits)

    def to_json(self) -> dict:
        """Return the API's JSON contract for this reading."""
        return {
            "number": self.number,
            "text": self.text,
            "digits": [digit.to_json() for digit in self.digits],
            "lines": [{"text": line.text, "box": list(line.box),
                       "numbers": [{"number": number.number, "box": list(number.box),
                                    "digits": [digit.to_json() for digit in number.digits]}
                                   for number in line.numbers]}
                      for line in self.lines],
            "model": self.model,
        }


@dataclass(frozen=True)
class Prepared:
    """A picture decoded and laid out, every candidate digit framed, ready for the model."""

    lines: list[LineCrops]
    picture: Decoded | None


def prepare(data: bytes, keep_picture: bool = True) -> Prepared:
    """Decode a picture once and frame its candidate digits; raise PictureError when it cannot be read."""
    decoded = decode_picture(data)
    return Prepared(lines=page_from_decoded(decoded), picture=decoded if keep_picture else None)


def read_picture(data: bytes, classifier, sequence_reader=None) -> Reading:
    """Decode a picture once, find its digits and classify them all in one batch."""
    return read_prepared([prepare(data)], classifier, sequence_reader)[0]


def read_prepared(pictures: list[Prepared], classifier, sequence_reader=None, max_batch: int | None = None
                  ) -> list[Reading]:
    """Read many prepared pictures: all candidate digits in one batch, all wide marks' strips in another.

    Each number's marks are read as the path through its candidates that the classifier is
    surest of; a mark wide enough to hold several touching digits is read by the sequence reader
    instead where that finds two or more digits in it.
    """
    numbers = [number for picture in pictures for line in picture.lines for number in line.numbers]
    inputs = [candidate.crop.pixels for number in numbers for candidate in number.candidates]
    options = {} if max_batch is None else {"max_batch": max_batch}
    probabilities = classifier.probabilities(np.stack(inputs), **options) if inputs else np.zeros((0, 10))
    rows = iter(np.asarray(probabilities, dtype=np.float64))
    strips = [strip for number in numbers for strip in number.strips] if sequence_reader is not None else []
    sequences = dict(zip(map(id, strips), sequence_reader.read([strip.pixels for strip in strips]), strict=True)) \
        if strips else {}
    chosen = {id(number): read_number(number, [next(rows) for _ in number.candidates], sequences)
              for number in numbers}
    model = classifier.card.get("name", classifier.name)
    return [Reading(lines=[LineReading(numbers=[NumberReading(digits=chosen[id(number)], box=number.box)
                                                for number in line.numbers], box=line.box)
                           for line in picture.lines], model=model, picture=picture.picture)
            for picture in pictures]


def read_number(number: NumberCrops, rows: list[np.ndarray], sequences: dict) -> list[DigitReading]:
    """Return a number's digits: the classifier's surest path, with wide marks read as sequences."""
    by_part = {strip.part: strip for strip in number.strips if id(strip) in sequences}
    digits = []
    for candidate, row in choose_path(number, rows):
        strip = by_part.get(candidate.first) if candidate.first == candidate.last else None
        read = sequences[id(strip)] if strip is not None else []
        if len(read) >= 2:
            digits.extend(_sequence_digit(strip, index, read) for index in range(len(read)))
        else:
            digits.append(_digit_reading(candidate.crop, row))
    return digits


def choose_path(number: NumberCrops, rows: list[np.ndarray]) -> list[tuple[CandidateCrop, np.ndarray]]:
    """Choose how to read a number's marks as digits: the path through its candidates the model is surest of.

    Each candidate scores the log of the model's confidence plus its prior (two separate marks
    joined count against it); the path with the highest total, marks first to last, wins
    (dynamic programming over the marks).
    """
    best: list[tuple[float, list] | None] = [(0.0, [])] + [None] * number.part_count
    ordered = sorted(zip(number.candidates, rows, strict=True), key=lambda pair: (pair[0].first, pair[0].last))
    for candidate, row in ordered:
        start = best[candidate.first]
        if start is None:
            continue
        total = start[0] + math.log(max(float(row.max()), 1e-12)) + candidate.candidate.log_prior
        end = candidate.last + 1
        if best[end] is None or total > best[end][0]:
            best[end] = (total, start[1] + [(candidate, row)])
    return best[number.part_count][1]


def _digit_reading(crop: DigitCrop, row: np.ndarray) -> DigitReading:
    best = int(row.argmax())
    return DigitReading(digit=best, confidence=float(row[best]), probabilities=[float(value) for value in row],
                        box=crop.box, pixels=crop.pixels)


def _sequence_digit(strip: StripCrop, index: int, read: list[DecodedDigit]) -> DigitReading:
    """Return one digit the sequence reader read in a strip, with its box and 28x28 view from its columns."""
    digit = read[index]
    # A digit's columns reach halfway to its neighbours' frames.
    first = FRAME_WIDTH * (read[index - 1].last_frame + digit.first_frame + 1) / 2 if index else 0
    last = (FRAME_WIDTH * (digit.last_frame + read[index + 1].first_frame + 1) / 2 if index + 1 < len(read)
            else strip.pixels.shape[1])
    left, right = strip.picture_columns(first, last)
    view = strip.pixels[:, int(first):max(int(last), int(first) + 1)].astype(np.float32) / 255.0
    _x, y, _width, height = strip.box
    return DigitReading(digit=digit.digit, confidence=digit.confidence,
                        probabilities=[float(value) for value in digit.probabilities],
                        box=(left, y, max(1, right - left), height), pixels=to_mnist_square(view))
