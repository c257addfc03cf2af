"""What a reader can promise about each mark: a digit, an unsure digit, or not a digit at all.

The thresholds apply to calibrated probabilities (see digits.calibration), so they mean what
they say: a confidence of 0.5 is right about half the time. The mark checker (model "marks")
gives the probability that a mark is a digit at all; without it, only the confidence counts.
"""

from __future__ import annotations

DIGIT = "digit"
UNSURE = "unsure"
NOT_A_DIGIT = "not a digit"
# A mark the checker gives less than this probability of being a digit is not a digit.
NOT_A_DIGIT_BELOW = 0.5
# A digit read with less than this confidence, or a mark the checker doubts (below SURELY_A_DIGIT),
# is unsure: the reader shows its best guess and says it may be wrong.
LOW_CONFIDENCE = 0.6
SURELY_A_DIGIT = 0.8


def verdict_of(confidence: float, digit_probability: float | None) -> str:
    """Return the verdict on one mark from the reader's confidence and the checker's digit probability."""
    if digit_probability is not None and digit_probability < NOT_A_DIGIT_BELOW:
        return NOT_A_DIGIT
    if confidence < LOW_CONFIDENCE or (digit_probability is not None and digit_probability < SURELY_A_DIGIT):
        return UNSURE
    return DIGIT
