"""What a reader can promise about each mark: a digit, an unsure digit, or not a digit at all.

The thresholds apply to calibrated probabilities (see digits.calibration), so they mean what
they say: a confidence of 0.5 is right about half the time. The mark checker (model "marks")
gives the probability that a mark is a digit at all; without it, only the confidence counts.
"""

from __future__ import annotations

DIGIT = "digit"
UNSURE = "unsure"
NOT_A_DIGIT = "not a digit"
# Chosen with bench/marks.py's pictures (seeds 7 and 11, 500 per kind each; never its reported
# seed). A mark the checker gives less than NOT_A_DIGIT_BELOW of being a digit is not a digit and
# leaves the number (0.04% of the marks on its pages). A mark whose chance of being a digit read
# right, the checker's probability times the confidence, is below LOW_CONFIDENCE is unsure: then
# 90.5% of non-digits are refused, and 1.0% of one-digit photos, 1.2% of drawings and 0.4% of clean
# digits get a flag (they are still read). One question, "is this answer more likely right than
# not?", in place of a threshold on each number: those lie on the same trade-off (checker 0.6 and
# confidence 0.5: 91.0% refused, 1.1% and 1.4% flagged). Stricter thresholds refuse more real
# digits than they catch non-digits.
NOT_A_DIGIT_BELOW = 0.01
LOW_CONFIDENCE = 0.5


def verdict_of(confidence: float, digit_probability: float | None) -> str:
    """Return the verdict on one mark from the reader's confidence and the checker's digit probability."""
    if digit_probability is not None and digit_probability < NOT_A_DIGIT_BELOW:
        return NOT_A_DIGIT
    right = confidence * (1.0 if digit_probability is None else digit_probability)
    return UNSURE if right < LOW_CONFIDENCE else DIGIT
