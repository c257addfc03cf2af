"""Reading a number's marks: the surest path through its candidates, and wide marks read as sequences."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from digits.ctc import DecodedDigit
from digits.preprocess import CandidateCrop, DigitCrop, NumberCrops
from digits.preprocess.framing import StripCrop
from digits.preprocess.layout import JOIN_PRIOR, Candidate
from digits.reading import choose_path, read_number
from digits.reading.reader import both_readers


def candidate(first: int, last: int, value: int | None = None) -> CandidateCrop:
    """A stand-in candidate whose pixels and box say which marks it covers."""
    value = value if value is not None else 10 * first + last
    crop = DigitCrop(pixels=np.full((28, 28), value, np.uint8), box=(value, 0, 1, 1))
    return CandidateCrop(Candidate(first, last, joins_marks=last > first), crop)


def sure(digit: int, confidence: float) -> np.ndarray:
    row = np.full(10, (1 - confidence) / 9)
    row[digit] = confidence
    return row


def number(candidates: list[CandidateCrop], parts: int, strips: list[StripCrop] = ()) -> NumberCrops:
    return NumberCrops(box=(0, 0, 10, 10), part_count=parts, candidates=candidates, strips=list(strips))


def read_digits(path) -> list[int]:
    return [int(row.argmax()) for _, row in path]


def test_marks_read_apart_when_each_is_sure():
    crops = number([candidate(0, 0), candidate(1, 1), candidate(0, 1)], 2)
    path = choose_path(crops, [sure(1, 0.96), sure(0, 0.96), sure(0, 0.97)])  # "10", or "0" if joined
    assert read_digits(path) == [1, 0]
    assert [chosen.crop.box[0] for chosen, _ in path] == [0, 11]


def test_marks_read_as_one_digit_when_that_is_much_surer():
    crops = number([candidate(0, 0), candidate(1, 1), candidate(2, 2), candidate(0, 1)], 3)
    path = choose_path(crops, [sure(6, 0.35), sure(1, 0.9), sure(7, 0.95), sure(4, 0.95)])
    assert read_digits(path) == [4, 7]
    assert path[0][0].crop.box[0] == 1  # the joined crop, with its own box


def test_the_join_prior_is_what_tips_the_balance():
    crops = number([candidate(0, 0), candidate(1, 1), candidate(0, 1)], 2)
    apart = 0.6 * 0.6
    assert 1.01 * apart / JOIN_PRIOR < 1  # both checks below need a possible confidence
    for joined_confidence, readings in ((0.99 * apart / JOIN_PRIOR, 2), (1.01 * apart / JOIN_PRIOR, 1)):
        assert len(choose_path(crops, [sure(3, 0.6), sure(5, 0.6), sure(8, joined_confidence)])) == readings


def test_without_alternatives_every_mark_is_read():
    crops = number([candidate(0, 0), candidate(1, 1), candidate(2, 2)], 3)
    assert read_digits(choose_path(crops, [sure(1, 0.5), sure(2, 0.4), sure(3, 0.3)])) == [1, 2, 3]


def decoded(digit: int, first: int, last: int) -> DecodedDigit:
    return DecodedDigit(digit, np.eye(10)[digit] * 0.9 + 0.01, first, last)


def strip_of_part(part: int) -> StripCrop:
    return StripCrop(part=part, pixels=np.zeros((28, 64), np.uint8), box=(100, 20, 60, 40),
                     columns_per_pixel=1.0, left=4.0)


def test_marks_the_sequence_reader_surely_reads_as_several_digits_are_never_joined():
    # A thin 1 beside a 6, each read unsurely alone, and surely as a 6 when joined: joined, unless the
    # sequence reader reads the two marks as two digits, sure of both.
    joined = replace(strip_of_part(0), wide=False, joined_last=1)
    crops = NumberCrops(box=(0, 0, 10, 10), part_count=2, joined_strips=[joined],
                        candidates=[candidate(0, 0), candidate(1, 1), candidate(0, 1)])
    rows = [sure(1, 0.5), sure(6, 0.5), sure(6, 0.99)]
    unsure_six = DecodedDigit(6, np.eye(10)[6] * 0.8 + 0.02, 6, 9)
    for read, digits in (([decoded(1, 1, 2), decoded(6, 6, 9)], [1, 6]), ([decoded(1, 1, 2), unsure_six], [6]),
                         ([decoded(6, 3, 8)], [6]), ([], [6])):
        assert read_digits(choose_path(crops, rows, sequences={id(joined): read})) == digits
    assert read_digits(choose_path(crops, rows)) == [6]


def test_marks_the_sequence_reader_surely_reads_as_the_classifiers_one_digit_are_joined():
    # A 4 drawn in two strokes that do not meet, each read as a 1: the join prior keeps them apart,
    # unless the sequence reader reads the two marks as one digit, sure of it, the classifier's digit
    # and neither mark's own.
    joined = replace(strip_of_part(0), wide=False, joined_last=1)
    crops = NumberCrops(box=(0, 0, 10, 10), part_count=2, joined_strips=[joined],
                        candidates=[candidate(0, 0), candidate(1, 1), candidate(0, 1)])
    rows = [sure(1, 0.95), sure(1, 0.95), sure(4, 0.99)]
    assert read_digits(choose_path(crops, rows)) == [1, 1]
    unsure_four = DecodedDigit(4, np.eye(10)[4] * 0.8 + 0.02, 3, 8)
    for read, digits in (([decoded(4, 3, 8)], [4]), ([unsure_four], [1, 1]), ([decoded(9, 3, 8)], [1, 1]),
                         ([decoded(1, 1, 2), decoded(1, 6, 8)], [1, 1])):
        assert read_digits(choose_path(crops, rows, sequences={id(joined): read})) == digits, read
    # A thin 1 beside a 6, the pair read as a 6 by both: the 1 would be swallowed, so the prior stays.
    rows = [sure(6, 0.95), sure(1, 0.95), sure(6, 0.99)]
    assert read_digits(choose_path(crops, rows, sequences={id(joined): [decoded(6, 3, 8)]})) == [6, 1]


def test_a_wide_mark_the_sequence_reader_reads_as_several_digits_becomes_those_digits():
    strip = strip_of_part(1)
    crops = number([candidate(0, 0), candidate(1, 1)], 2, [strip])
    digits = read_number(crops, [sure(7, 0.9), sure(8, 0.6)], {id(strip): [decoded(4, 2, 4), decoded(2, 9, 11)]})
    assert [digit.digit for digit in digits] == [7, 4, 2]
    four, two = digits[1:]
    assert four.box[0] == 100 and two.box[0] + two.box[2] == 160  # they share the mark's width
    assert four.box[0] + four.box[2] == two.box[0] and four.box[1:4:2] == (20, 40)
    assert four.pixels.shape == (28, 28) and abs(four.confidence - 0.91) < 1e-6


def test_a_mark_the_sequence_reader_reads_as_one_digit_is_read_by_both_readers():
    strip = strip_of_part(0)
    crops = number([candidate(0, 0)], 1, [strip])
    digits = read_number(crops, [sure(0, 0.95)], {id(strip): [decoded(0, 3, 9)]})
    expected = both_readers(sure(0, 0.95), decoded(0, 3, 9).probabilities)
    assert [digit.digit for digit in digits] == [0]
    assert abs(digits[0].confidence - expected[0]) < 1e-9 and 0.9 < digits[0].confidence < 0.95
    assert abs(sum(digits[0].probabilities) - 1) < 1e-9


def test_the_reader_sure_of_its_digit_outweighs_the_one_in_doubt():
    # The classifier leans to 1 (55%); the sequence reader is sure of 7 (91%): together, 7.
    joined = both_readers(sure(1, 0.55), decoded(7, 0, 3).probabilities)
    assert joined.argmax() == 7 and abs(joined.sum() - 1) < 1e-9
    # Agreeing readers end surer than the less sure one, and never surer than the surer one.
    agreed = both_readers(sure(4, 0.8), sure(4, 0.99))
    assert 0.8 < agreed.max() < 0.99


def test_a_narrow_mark_is_never_split_whatever_the_sequence_reader_reads():
    strip = replace(strip_of_part(0), wide=False)
    crops = number([candidate(0, 0)], 1, [strip])
    digits = read_number(crops, [sure(0, 0.5)], {id(strip): [decoded(1, 1, 2), decoded(7, 5, 8)]})
    assert [(digit.digit, digit.confidence) for digit in digits] == [(0, 0.5)]


def test_a_fragment_the_mark_checker_doubts_joins_its_digit():
    crops = number([candidate(0, 0), candidate(1, 1), candidate(0, 1)], 2)
    rows = [sure(1, 0.9), sure(4, 0.99), sure(4, 0.9)]  # a stray tick read as a 1, beside a 4
    assert read_digits(choose_path(crops, rows)) == [1, 4]  # the classifier alone keeps them apart
    odds = {id(crops.candidates[0]): 0.2, id(crops.candidates[1]): 0.99, id(crops.candidates[2]): 0.99}
    assert read_digits(choose_path(crops, rows, odds)) == [4]


class DoubtingChecker:
    """A mark checker that gives every mark the same probability of being a digit."""

    def __init__(self, digit_probability: float):
        self.digit_probability = digit_probability

    def probabilities(self, batch: np.ndarray, **_options) -> np.ndarray:
        return np.tile([self.digit_probability, 1 - self.digit_probability], (len(batch), 1))


def test_digits_read_inside_a_wide_mark_may_be_doubted_by_the_checker_but_never_dropped():
    from digits.reading.reader import _check_sequence_digits

    strip = strip_of_part(1)
    crops = number([candidate(0, 0), candidate(1, 1)], 2, [strip])
    for digit_probability, verdicts in ((0.9, ["digit", "digit"]), (0.3, ["unsure", "unsure"]),
                                        (0.0, ["unsure", "unsure"])):
        chosen = {"number": read_number(crops, [sure(7, 0.9), sure(8, 0.6)],
                                        {id(strip): [decoded(4, 2, 4), decoded(2, 9, 11)]})}
        _check_sequence_digits(chosen, DoubtingChecker(digit_probability), {})
        assert [digit.verdict for digit in chosen["number"]] == ["digit", *verdicts]


def test_one_doubted_digit_makes_its_whole_wide_mark_unsure():
    from digits.reading.reader import _check_sequence_digits

    strip = strip_of_part(1)
    crops = number([candidate(0, 0), candidate(1, 1)], 2, [strip])
    chosen = {"number": read_number(crops, [sure(7, 0.9), sure(8, 0.6)],
                                    {id(strip): [decoded(4, 2, 4), decoded(2, 9, 11)]})}

    class FirstViewDoubted(DoubtingChecker):
        def probabilities(self, batch, **_options):
            return np.array([[0.2, 0.8]] + [[0.99, 0.01]] * (len(batch) - 1))

    _check_sequence_digits(chosen, FirstViewDoubted(0.0), {})
    assert [digit.verdict for digit in chosen["number"]] == ["digit", "unsure", "unsure"]


def test_a_mark_is_a_sure_digit_only_when_a_digit_read_right_is_more_likely_than_not():
    from digits.reading.verdicts import verdict_of

    assert verdict_of(0.99, 0.9) == "digit"
    assert verdict_of(0.7, 0.7) == "unsure"  # each more likely than not, together 49%
    assert verdict_of(0.4, None) == "unsure" and verdict_of(0.6, None) == "digit"  # no checker: the confidence
    assert verdict_of(0.99, 0.3) == "unsure"
    assert verdict_of(0.99, 0.005) == "not a digit"


def decoded_with(digit: int, first: int, last: int, confidence: float) -> DecodedDigit:
    probabilities = np.full(10, (1 - confidence) / 9)
    probabilities[digit] = confidence
    return DecodedDigit(digit, probabilities, first, last)


def test_a_wide_mark_sure_to_be_one_digit_is_split_only_when_its_halves_confirm_it():
    strip = strip_of_part(0)  # 60x40: wide enough to hold two digits
    crops = number([candidate(0, 0)], 1, [strip])
    unsure_pair = {id(strip): [decoded(5, 2, 4), decoded_with(4, 9, 11, 0.6)]}
    sure_pair = {id(strip): [decoded(5, 2, 4), decoded(4, 9, 11)]}
    cases = [  # (sequence reading, classifier on the whole, digits read in the halves, digits answered)
        (unsure_pair, 0.99, (9, 1), [4]),  # halves read as other digits: a broad 4, kept whole
        (unsure_pair, 0.99, (5, 4), [5, 4]),  # halves confirm the split
        (unsure_pair, 0.90, (9, 1), [5, 4]),  # the classifier doubts the whole: split as before
        (sure_pair, 0.99, (9, 1), [5, 4]),  # the sequence reader is sure of both: split as before
        (unsure_pair, 0.99, None, [5, 4]),  # halves not read: split as before
    ]
    for sequences, whole, halves, expected in cases:
        digits = read_number(crops, [sure(4, whole)], sequences, halves=None if halves is None else {id(strip): halves})
        assert [digit.digit for digit in digits] == expected, (whole, halves)
    kept_whole = read_number(crops, [sure(4, 0.99)], unsure_pair, halves={id(strip): (9, 1)})[0]
    assert kept_whole.verdict == "unsure"  # the two readers disagreed: a sure 99% is not a sure digit
    assert read_number(crops, [sure(4, 0.99)], {id(strip): [decoded(4, 2, 9)]})[0].verdict == "digit"


class ReadsAsSeven:
    """A classifier that reads every view as a 7 and counts the views it was given."""

    def __init__(self):
        self.views = 0

    def probabilities(self, batch: np.ndarray, **_options) -> np.ndarray:
        self.views += len(batch)
        return np.tile(np.eye(10)[7], (len(batch), 1))


def test_only_the_halves_of_marks_read_unsurely_as_two_digits_are_classified():
    from digits.reading.reader import _halves_read

    strips = [strip_of_part(part) for part in range(4)]
    sequences = {id(strips[0]): [decoded(5, 2, 4), decoded_with(4, 9, 11, 0.6)],  # unsure pair: read
                 id(strips[1]): [decoded(5, 2, 4), decoded(4, 9, 11)],  # sure pair
                 id(strips[2]): [decoded(1, 1, 2), decoded_with(2, 5, 6, 0.6), decoded(3, 9, 11)],  # three
                 id(strips[3]): [decoded_with(8, 2, 9, 0.6)]}  # one
    classifier = ReadsAsSeven()
    assert _halves_read(strips, sequences, classifier, {}) == {id(strips[0]): (7, 7)}
    assert classifier.views == 2
    assert _halves_read(strips[1:], sequences, ReadsAsSeven(), {}) == {}
