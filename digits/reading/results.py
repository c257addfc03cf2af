"""A reading, as people and programs receive it: lines of numbers of digits, each with its verdict."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digits.preprocess import Decoded
from digits.reading.verdicts import NOT_A_DIGIT, UNSURE


@dataclass(frozen=True)
class DigitReading:
    """One mark of a reading: the digit read, how sure, whether it is a digit at all, and where it was."""

    digit: int
    confidence: float  # calibrated: right about this often
    probabilities: list[float]
    box: tuple[int, int, int, int]
    pixels: np.ndarray  # the 28x28 input the model saw
    verdict: str = "digit"  # see digits.reading.verdicts
    sequence_mark: int | None = None  # the number's wide mark the sequence reader read it in, if any

    @property
    def unsure(self) -> bool:
        """Tell whether the reader doubts this digit (or doubts it is a digit at all)."""
        return self.verdict != "digit"

    @property
    def is_digit(self) -> bool:
        """Tell whether the mark counts as a digit (sure or unsure): it is part of the number."""
        return self.verdict != NOT_A_DIGIT

    def to_json(self) -> dict:
        """Return this mark as the API shows it."""
        return {"digit": self.digit, "confidence": round(self.confidence, 4),
                "probabilities": [round(p, 4) for p in self.probabilities], "box": list(self.box),
                "verdict": self.verdict}


@dataclass(frozen=True)
class NumberReading:
    """One number: its marks left to right and its box."""

    digits: list[DigitReading]
    box: tuple[int, int, int, int]

    @property
    def number(self) -> str:
        """Return the number's digits as one string (marks that are not digits left out)."""
        return "".join(str(digit.digit) for digit in self.digits if digit.is_digit)


@dataclass(frozen=True)
class LineReading:
    """One line of writing: its numbers left to right and its box."""

    numbers: list[NumberReading]
    box: tuple[int, int, int, int]

    @property
    def text(self) -> str:
        """Return the line's numbers separated by one space (numbers without a digit left out)."""
        return " ".join(number.number for number in self.numbers if number.number)


@dataclass(frozen=True)
class Reading:
    """The whole answer for one picture: its lines, top to bottom."""

    lines: list[LineReading]
    model: str
    picture: Decoded | None  # kept for the result page's preview; None when nobody shows it

    @property
    def digits(self) -> list[DigitReading]:
        """Return every mark in reading order (lines top to bottom, each left to right), digits or not."""
        return [digit for line in self.lines for number in line.numbers for digit in number.digits]

    @property
    def number(self) -> str:
        """Return all the digits read, in reading order, as one string."""
        return "".join(str(digit.digit) for digit in self.digits if digit.is_digit)

    @property
    def text(self) -> str:
        """Return the reading as text: numbers separated by one space, lines by a newline."""
        return "\n".join(line.text for line in self.lines if line.text)

    @property
    def confidence(self) -> float:
        """Return the confidence of the least sure digit: how far the whole reading may be trusted."""
        return min((digit.confidence for digit in self.digits if digit.is_digit), default=0.0)

    @property
    def unsure(self) -> bool:
        """Tell whether any digit is unsure."""
        return any(digit.verdict == UNSURE for digit in self.digits)

    @property
    def not_digits(self) -> list[DigitReading]:
        """Return the marks that are not digits."""
        return [digit for digit in self.digits if not digit.is_digit]

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
