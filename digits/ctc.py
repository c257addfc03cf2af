"""Reading the sequence reader's frames: CTC's greedy decoding, with where and how surely each digit was read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLANK = 0  # frame class 0 is "no new digit here"; class d + 1 is the digit d


@dataclass(frozen=True)
class DecodedDigit:
    """One digit read from a strip: the digit, its ten probabilities, and the frames it was read in."""

    digit: int
    probabilities: np.ndarray  # (10,), the digit's frame distribution without the blank, renormalised
    first_frame: int
    last_frame: int

    @property
    def confidence(self) -> float:
        """Return how sure the reader is of this digit (its probability at its surest frame)."""
        return float(self.probabilities[self.digit])


def greedy_decode(frames: np.ndarray) -> list[DecodedDigit]:
    """Return the digits of one strip's frames (T, 11): the best class per frame, repeats and blanks dropped."""
    best = frames.argmax(axis=1)
    digits: list[DecodedDigit] = []
    start = 0
    for index in range(1, len(best) + 1):
        if index < len(best) and best[index] == best[start]:
            continue
        if best[start] != BLANK:
            run = frames[start:index]
            surest = start + int(run[:, best[start]].argmax())
            probabilities = frames[surest, 1:] / max(float(frames[surest, 1:].sum()), 1e-12)
            digits.append(DecodedDigit(int(best[start]) - 1, probabilities, start, index - 1))
        start = index
    return digits
