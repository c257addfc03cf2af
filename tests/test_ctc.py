"""CTC's greedy decoding: blanks and repeats dropped, each digit with its frames and probabilities."""

from __future__ import annotations

import numpy as np

from digits.ctc import greedy_decode


def frames_for(classes: list[int], sureness: float = 0.9) -> np.ndarray:
    frames = np.full((len(classes), 11), (1 - sureness) / 10)
    frames[np.arange(len(classes)), classes] = sureness
    return frames


def test_blanks_separate_digits_and_repeats_merge():
    # blank, 4, 4, blank, 4, blank, blank, 2 (class = digit + 1)
    read = greedy_decode(frames_for([0, 5, 5, 0, 5, 0, 0, 3]))
    assert [digit.digit for digit in read] == [4, 4, 2]
    assert [(digit.first_frame, digit.last_frame) for digit in read] == [(1, 2), (4, 4), (7, 7)]


def test_each_digit_has_ten_probabilities_without_the_blank():
    frames = frames_for([0, 8, 0])
    frames[1] = [0.1, 0, 0, 0, 0, 0, 0, 0, 0.6, 0.3, 0]
    (digit,) = greedy_decode(frames)
    assert digit.digit == 7 and len(digit.probabilities) == 10
    assert abs(digit.probabilities.sum() - 1) < 1e-9 and abs(digit.confidence - 0.6 / 0.9) < 1e-9


def test_all_blank_reads_nothing():
    assert greedy_decode(frames_for([0, 0, 0])) == []
