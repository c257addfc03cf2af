"""Deciding which marks are one digit: joined alternatives from preprocessing, chosen by confidence."""

from __future__ import annotations

import numpy as np

from digits.preprocess import DigitCrop
from digits.reading import JOIN_PRIOR, choose_readings, classification_inputs


def crop(value: int, joined: DigitCrop | None = None) -> DigitCrop:
    """A stand-in crop whose pixels say which crop it is."""
    return DigitCrop(pixels=np.full((28, 28), value, np.uint8), box=(value, 0, 1, 1), joined_with_next=joined)


def sure(digit: int, confidence: float) -> np.ndarray:
    row = np.full(10, (1 - confidence) / 9)
    row[digit] = confidence
    return row


def test_classification_inputs_list_the_crops_then_their_joined_alternatives():
    crops = [crop(1, joined=crop(12)), crop(2), crop(3)]
    assert [int(picture[0, 0]) for picture in classification_inputs(crops)] == [1, 2, 3, 12]


def test_marks_read_apart_when_each_is_sure():
    crops = [crop(1, joined=crop(12)), crop(2)]
    rows = np.stack([sure(1, 0.96), sure(0, 0.96), sure(0, 0.97)])  # "10", or "0" if joined
    chosen = choose_readings(crops, rows)
    assert [int(row.argmax()) for _, row in chosen] == [1, 0]
    assert [reading_crop.box[0] for reading_crop, _ in chosen] == [1, 2]


def test_marks_read_as_one_digit_when_that_is_much_surer():
    crops = [crop(1, joined=crop(12)), crop(2), crop(3)]
    rows = np.stack([sure(6, 0.35), sure(1, 0.9), sure(7, 0.95), sure(4, 0.95)])
    chosen = choose_readings(crops, rows)
    assert [int(row.argmax()) for _, row in chosen] == [4, 7]
    assert chosen[0][0].box[0] == 12  # the joined crop, with its own box


def test_the_join_prior_is_what_tips_the_balance():
    crops = [crop(1, joined=crop(12)), crop(2)]
    apart = 0.6 * 0.6
    assert 1.01 * apart / JOIN_PRIOR < 1  # both checks below need a possible confidence
    for joined_confidence, readings in ((0.99 * apart / JOIN_PRIOR, 2), (1.01 * apart / JOIN_PRIOR, 1)):
        rows = np.stack([sure(3, 0.6), sure(5, 0.6), sure(8, joined_confidence)])
        assert len(choose_readings(crops, rows)) == readings


def test_a_joined_alternative_on_the_last_crop_is_ignored():
    crops = [crop(1), crop(2, joined=crop(23))]
    rows = np.stack([sure(1, 0.9), sure(2, 0.3), sure(8, 0.99)])
    assert [int(row.argmax()) for _, row in choose_readings(crops, rows)] == [1, 2]


def test_without_alternatives_every_crop_is_read():
    crops = [crop(1), crop(2), crop(3)]
    rows = np.stack([sure(1, 0.5), sure(2, 0.4), sure(3, 0.3)])
    assert [int(row.argmax()) for _, row in choose_readings(crops, rows)] == [1, 2, 3]
