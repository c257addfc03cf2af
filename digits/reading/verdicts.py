"""What a reader can promise about each mark: a digit, an unsure digit, or not a digit at all.

The thresholds apply to calibrated probabilities (see digits.calibration), so they mean what
they say: a confidence of 0.5 is right about half the time. The mark checker (model "marks")
gives the probability that a mark is a digit at all; without it, only the confidence counts.
"""

from __future__ import annotations

DIGIT = "digit"
UNSURE = "unsure"
NOT_A_DIGIT = "not a digit"
# Chosen with bench/marks.py's pictures (seed 7, 500 per kind; never its reported seed): a mark
# the checker gives less than NOT_A_DIGIT_BELOW of being a digit is not a digit (64% of
# non-digits, 0.09% of the digits on its pages); one it thinks less likely a digit than not, or
# a digit more likely misread than right, is unsure (then 91% of non-digits are refused, and
# 1.8% of one-digit photos, 2.4% of drawings, 0.4% of clean digits get a flag; they are
# still read). Stricter thresholds refuse more real digits than they catch non-digits.
NOT_A_DIGIT_BELOW = 0.05
SURELY_A_DIGIT = 0.5
LOW_CONFIDENCE = 0.5


def verdict_of(confidence: float, digit_probability: float | None) -> str:
    """Return the verdict on one mark from the reader's confidence and the checker's digit probability."""
    if digit_probability is not None and digit_probability < NOT_A_DIGIT_BELOW:
        return NOT_A_DIGIT
    if confidence < LOW_CONFIDENCE or (digit_probability is not None and digit_probability < SURELY_A_DIGIT):
        return UNSURE
    return DIGIT
