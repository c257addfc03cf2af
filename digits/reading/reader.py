"""Read the numbers in pictures: candidate digits -> one batch through the models -> the surest reading.

The one reading path that the JSON API, the result page and predict.py all use: ``prepare``
each picture (decode, lay out its lines and numbers, frame every candidate digit), then
``read_prepared`` classifies the candidates of many pictures in one batch, keeps for each
number the way of joining its marks that the classifier is surest of (the sequence reader ruling
some joins out and easing others), reads the marks wide enough to hold touching digits with the
sequence reader (which also reads every single mark, a second opinion, and every pair of marks
the path may join), and gives every mark its verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from digits.ctc import DecodedDigit
from digits.errors import PictureError
from digits.preprocess import Decoded, DigitCrop, LineCrops, NumberCrops, decode_picture, read_page
from digits.preprocess.framing import CandidateCrop, StripCrop, to_mnist_square
from digits.preprocess.strips import FRAME_WIDTH
from digits.reading.results import DigitReading, LineReading, NumberReading, Reading
from digits.reading.verdicts import DIGIT, NOT_A_DIGIT_BELOW, UNSURE, verdict_of

# A mark read as two digits must be at least TWO_DIGITS_WIDE times as wide as tall, and each
# further digit adds EACH_FURTHER_DIGIT (measured on pages of separate digits and touching numbers).
TWO_DIGITS_WIDE = 1.05
EACH_FURTHER_DIGIT = 0.42
# A narrower mark is read as several digits only where the classifier doubts it is one digit
# (below DOUBTED_WHOLE) and the sequence reader is sure of every digit (SURE_SEQUENCE and above).
DOUBTED_WHOLE = 0.95
SURE_SEQUENCE = 0.9
# A wide mark the classifier is sure is one digit (DOUBTED_WHOLE and above) is read as two only
# when the split is confirmed: the sequence reader is sure of both digits, or the classifier reads
# the same two digits in the mark's two halves, each on its own. A broad 0 or 8 drawn on a canvas
# was read as "80" or "43" with one digit unsure, and its halves as other digits ("53", "93").


@dataclass(frozen=True)
class Readers:
    """The models a reading uses: the digit classifier, and where trained the sequence reader and mark checker."""

    classifier: object  # inference.Classifier
    sequence: object = None  # inference.SequenceReader: touching digits
    marks: object = None  # inference.Classifier with two classes: a digit, not a digit

    @property
    def model_name(self) -> str:
        """Return the name the answer gives for the digit classifier."""
        return self.classifier.card.get("name", self.classifier.name)


@dataclass(frozen=True)
class Prepared:
    """A picture decoded and laid out, every candidate digit framed, ready for the model."""

    lines: list[LineCrops]
    picture: Decoded | None


def prepare(data: bytes, keep_picture: bool = True) -> Prepared:
    """Decode a picture once and frame its candidate digits; raise PictureError when it cannot be read."""
    decoded = decode_picture(data)
    return Prepared(lines=read_page(data, decoded), picture=decoded if keep_picture else None)


def read_picture(data: bytes, readers: Readers) -> Reading:
    """Decode a picture once, find its digits and read them; raise PictureError (422) if none is a digit."""
    reading = read_prepared([prepare(data)], readers)[0]
    if not reading.number:
        raise PictureError("no digit found", status=422)
    return reading


def read_prepared(pictures: list[Prepared], readers: Readers, max_batch: int | None = None) -> list[Reading]:
    """Read many prepared pictures: all candidate digits in one batch, all strips in another."""
    numbers = [number for picture in pictures for line in picture.lines for number in line.numbers]
    candidates = [candidate for number in numbers for candidate in number.candidates]
    inputs = [candidate.crop.pixels for candidate in candidates]
    options = {} if max_batch is None else {"max_batch": max_batch}
    stacked = np.stack(inputs) if inputs else np.zeros((0, 28, 28), np.uint8)
    probabilities = np.asarray(readers.classifier.probabilities(stacked, **options), np.float64)
    written = _framed_as_written(candidates)
    probabilities = _as_written_too(written, probabilities, readers.classifier, options, both_readers)
    checks = readers.marks.probabilities(stacked, **options)[:, 0] if readers.marks is not None and inputs else None
    if checks is not None:
        checks = _as_written_too(written, checks, readers.marks, options, _both_checks)
    strips = [strip for number in numbers for strip in (*number.strips, *number.joined_strips)] \
        if readers.sequence is not None else []
    sequences = dict(zip(map(id, strips), readers.sequence.read([strip.pixels for strip in strips]), strict=True)) \
        if strips else {}
    _join_strips_as_written(strips, sequences, readers.sequence)
    halves = _halves_read(strips, sequences, readers.classifier, options)
    chosen, position = {}, 0
    for number in numbers:
        count = len(number.candidates)
        rows = list(probabilities[position:position + count])
        digit_odds = None if checks is None else list(checks[position:position + count])
        chosen[id(number)] = read_number(number, rows, sequences, digit_odds, halves)
        position += count
    if readers.marks is not None:
        _check_sequence_digits(chosen, readers.marks, options)
    return [Reading(lines=[LineReading(numbers=[NumberReading(digits=chosen[id(number)], box=number.box)
                                                for number in line.numbers], box=line.box)
                           for line in picture.lines], model=readers.model_name, picture=picture.picture)
            for picture in pictures]


def _framed_as_written(candidates: list[CandidateCrop]) -> tuple[list[int], np.ndarray | None]:
    """Return which candidates were also framed as written (small bold marks), and those framings stacked."""
    indices = [index for index, candidate in enumerate(candidates) if candidate.crop.as_written is not None]
    return indices, (np.stack([candidates[index].crop.as_written for index in indices]) if indices else None)


def _as_written_too(written: tuple[list[int], np.ndarray | None], values: np.ndarray, model, options: dict,
                    join) -> np.ndarray:
    """Return a model's per-candidate values, each thinned mark's joined with the model's reading of it as written.

    Thinning brings bold strokes to MNIST's width, and mostly helps (a marker's 5 is a blob
    unless thinned), but where a phone's blur made a small page digit bold, it also wears away
    what the blur left of its shape (see framing.SMALL_DIGIT). The classifier reading such a mark
    both ways (``join``: both_readers) read 7 more of 600 pages and 4 more of 600 lists exactly
    (seeds 7 and 11, in process); reading it only as written read 1 more page but 4 fewer lists.
    The mark checker took some such thinned marks for scribbles (a fat 3 or 8 refused as "not a
    digit", so a page lost a digit it read right); its two checks joined (``join``: _both_checks)
    read 3 more of 600 pages and 1 more list, and kept not one non-digit more.
    """
    indices, pictures = written
    if not indices:
        return values
    joined = np.array(values, np.float64)
    for index, output in zip(indices, model.probabilities(pictures, **options), strict=True):
        joined[index] = join(values[index], output)
    return joined


def _both_checks(check: float, as_written: np.ndarray) -> float:
    """Return the mark checker's digit probability from both framings: their geometric mean."""
    return math.sqrt(float(check) * float(as_written[0]))


def _join_strips_as_written(strips: list[StripCrop], sequences: dict, sequence_reader) -> None:
    """Let the sequence reader read small bold marks as written too; join both readings where each is one digit.

    As the classifier does (see _as_written_too): on seeds 7 and 11 (300 pages and lists
    each, in process), 5 more pages and 1 more list were read exactly than with the classifier
    alone reading both ways. A mark read as several digits either way keeps its thinned reading.
    """
    written = [strip for strip in strips if strip.as_written is not None]
    if not written:
        return
    for strip, read in zip(written, sequence_reader.read([strip.as_written for strip in written]), strict=True):
        thinned = sequences[id(strip)]
        if len(thinned) == 1 and len(read) == 1:
            row = both_readers(thinned[0].probabilities, read[0].probabilities)
            sequences[id(strip)] = [replace(thinned[0], digit=int(row.argmax()), probabilities=row)]


def _halves_read(strips: list[StripCrop], sequences: dict, classifier, options: dict) -> dict:
    """Return, by strip id, the digits the classifier reads in each half of a mark read unsurely as two.

    Only the marks whose split may need confirming (see _several_digits) are read: two digits,
    one of them below SURE_SEQUENCE; whether the mark is wide and the classifier sure of it as one
    digit is judged later, per path. Each half is the 28x28 view the answer would give that digit.
    """
    unsure = [strip for strip in strips if strip.wide and len(sequences[id(strip)]) == 2
              and not _sure_of_every_digit(sequences[id(strip)])]
    if not unsure:
        return {}
    views = np.stack([_sequence_digit(strip, index, sequences[id(strip)]).pixels
                      for strip in unsure for index in range(2)])
    digits = np.asarray(classifier.probabilities(views, **options)).argmax(axis=1).reshape(-1, 2)
    return {id(strip): tuple(int(digit) for digit in pair) for strip, pair in zip(unsure, digits, strict=True)}


def _check_sequence_digits(chosen: dict, marks, options: dict) -> None:
    """Let the mark checker doubt the digits read inside wide marks too, each on its own 28x28 view.

    Without it, a scribble or a % wide enough for the sequence reader came back as a sure
    number. A view cut from a wider mark holds bits of its neighbours, which the checker never
    saw in training, so it may make such digits unsure but never drop them (dropping cost 3 to
    4 points of exact touching numbers; doubting costs none), and one doubted digit makes the
    whole mark's reading unsure.
    """
    found = [(key, index) for key, digits in chosen.items()
             for index, digit in enumerate(digits) if digit.sequence_mark is not None]
    if not found:
        return
    odds = marks.probabilities(np.stack([chosen[key][index].pixels for key, index in found]), **options)[:, 0]
    verdicts = {(key, index): verdict_of(chosen[key][index].confidence, max(float(odd), NOT_A_DIGIT_BELOW))
                for (key, index), odd in zip(found, odds, strict=True)}
    doubted_marks = {(key, chosen[key][index].sequence_mark) for (key, index), verdict in verdicts.items()
                     if verdict != DIGIT}
    for key, index in found:
        digit = chosen[key][index]
        verdict = UNSURE if (key, digit.sequence_mark) in doubted_marks else verdicts[(key, index)]
        chosen[key][index] = replace(digit, verdict=verdict)


def read_number(number: NumberCrops, rows: list[np.ndarray], sequences: dict,
                digit_odds: list[float] | None = None, halves: dict | None = None) -> list[DigitReading]:
    """Return a number's marks read: the surest path, wide marks read as sequences, single ones by both readers.

    ``digit_odds`` holds, per candidate, the mark checker's probability that it is a digit at all;
    ``halves``, by strip id, the digits the classifier reads in the halves of a mark read as two.
    """
    by_part = {strip.part: strip for strip in number.strips if id(strip) in sequences}
    odds = dict(zip(map(id, number.candidates), digit_odds, strict=True)) if digit_odds is not None else {}
    digits = []
    for candidate, row in choose_path(number, rows, odds, sequences):
        strip = by_part.get(candidate.first) if candidate.first == candidate.last else None
        read = sequences[id(strip)] if strip is not None else []
        halves_read = (halves or {}).get(id(strip)) if strip is not None else None
        several = _several_digits(strip, read, float(row.max()), halves_read)
        if several:
            digits.extend(_sequence_digit(strip, index, read) for index in range(len(read)))
            continue
        if len(read) == 1:
            row = both_readers(row, read[0].probabilities)
        digit = _digit_reading(candidate.crop, row, odds.get(id(candidate)))
        # A split refused (None): one reader saw two digits here, so the one digit is unsure at best.
        digits.append(replace(digit, verdict=UNSURE) if several is None and digit.verdict == DIGIT else digit)
    return digits


def both_readers(classifier_row: np.ndarray, sequence_row: np.ndarray) -> np.ndarray:
    """Return one digit's probabilities from both readers: their geometric mean, renormalised.

    The classifier and the sequence reader frame a mark differently (a 28x28 square, a strip)
    and misread different digits: on 18,947 digits of photographed pages (seeds 7 and 11) the
    classifier misread 176, the sequence reader 153, the two together 131. The geometric mean
    (the product at temperature 2) keeps the confidence calibrated: its error on those digits
    is the classifier's own (0.2-0.3%).
    """
    joined = np.sqrt(np.asarray(classifier_row, np.float64) * np.asarray(sequence_row, np.float64))
    total = float(joined.sum())
    return joined / total if total > 0 else np.asarray(classifier_row, np.float64)


def _several_digits(strip: StripCrop | None, read: list[DecodedDigit], whole_confidence: float,
                    halves_read: tuple[int, ...] | None = None) -> bool | None:
    """Tell whether to take a wide mark for the several digits the sequence reader read in it.

    A wide single digit (a broad 0, a 2 with a long foot) that the sequence reader reads as two
    is narrower than two touching digits: on pages of separate digits, 11 of 14 such false splits
    were under TWO_DIGITS_WIDE, and of 150 touching numbers, 2 were. A narrower mark counts as
    several digits only where the classifier doubts it is one and the sequence reader is sure;
    a mark too narrow to hold two digits at all (its strip not ``wide``) never does. A wide mark
    read unsurely as two digits that the classifier is sure is one digit stays one unless the
    classifier reads the same two digits in its halves (``halves_read``, where they were read);
    such a refused split returns None, not False: the two readers disagreed.
    """
    if strip is None or not strip.wide or len(read) < 2:
        return False
    _x, _y, width, height = strip.box
    wide_enough = width >= (TWO_DIGITS_WIDE + EACH_FURTHER_DIGIT * (len(read) - 2)) * height
    sure_sequence = _sure_of_every_digit(read)
    doubted_whole = whole_confidence < DOUBTED_WHOLE
    if wide_enough and len(read) == 2 and not doubted_whole and not sure_sequence and halves_read is not None:
        return True if halves_read == tuple(digit.digit for digit in read) else None
    return wide_enough or (doubted_whole and sure_sequence)


def choose_path(number: NumberCrops, rows: list[np.ndarray], digit_odds: dict | None = None,
                sequences: dict | None = None) -> list[tuple[CandidateCrop, np.ndarray]]:
    """Choose how to read a number's marks as digits: the path through its candidates the model is surest of.

    Each candidate scores the log of the model's confidence plus its prior (two separate marks
    joined count against it) and, given the mark checker's odds (by candidate id), the log of
    its probability of being a digit at all, so a stray fragment read confidently as a 1 still
    joins its digit. The path with the highest total, marks first to last, wins (dynamic
    programming over the marks). Given the sequence reader's readings (``sequences``, by strip id),
    marks it is sure hold several digits are never joined, and marks it is sure are one digit, the
    classifier's and neither mark's own (a 4 drawn in two strokes that do not meet, each a 1), join
    without the prior.
    """
    digit_odds = digit_odds or {}
    joined = {(strip.part, strip.joined_last): (sequences or {}).get(id(strip), []) for strip in number.joined_strips}
    best: list[tuple[float, list] | None] = [(0.0, [])] + [None] * number.part_count
    ordered = sorted(zip(number.candidates, rows, strict=True), key=lambda pair: (pair[0].first, pair[0].last))
    alone = {candidate.first: int(row.argmax()) for candidate, row in ordered if candidate.first == candidate.last}
    for candidate, row in ordered:
        start = best[candidate.first]
        prior = _join_prior(candidate, int(row.argmax()), joined.get((candidate.first, candidate.last), []), alone)
        if start is None or prior is None:
            continue
        total = start[0] + math.log(max(float(row.max()), 1e-12)) + prior
        if id(candidate) in digit_odds:
            total += math.log(max(float(digit_odds[id(candidate)]), 1e-6))
        end = candidate.last + 1
        if best[end] is None or total > best[end][0]:
            best[end] = (total, start[1] + [(candidate, row)])
    return best[number.part_count][1]


def _join_prior(candidate: CandidateCrop, digit: int, read: list[DecodedDigit], alone: dict[int, int]) -> float | None:
    """Return a candidate's log prior, given the sequence reader's reading of the marks it joins; None: never join them.

    A thin 1 that the mark checker doubts was joined to the digit beside it ("16" read 6, "21"
    read 2); the sequence reader reads such a pair as its two digits, sure of both: never joined.
    An open 4 drawn in two strokes was read "11", each stroke a sure 1, though both readers read
    the two marks together as a sure 4: the prior (two marks are more often two digits) is dropped
    where the sequence reader is sure of one digit, the classifier's (``digit``), and neither
    mark's own (``alone``, by part): a thin 1 beside a 6 is read as a 6 joined too, the 1 swallowed.
    """
    if read and _sure_of_every_digit(read):
        if len(read) >= 2:
            return None
        if read[0].digit == digit and all(alone.get(part) != digit
                                          for part in range(candidate.first, candidate.last + 1)):
            return 0.0
    return candidate.candidate.log_prior


def _sure_of_every_digit(read: list[DecodedDigit]) -> bool:
    """Tell whether the sequence reader is sure (SURE_SEQUENCE and above) of every digit it read."""
    return min(digit.confidence for digit in read) >= SURE_SEQUENCE


def _digit_reading(crop: DigitCrop, row: np.ndarray, digit_probability: float | None) -> DigitReading:
    best = int(row.argmax())
    return DigitReading(digit=best, confidence=float(row[best]), probabilities=[float(value) for value in row],
                        box=crop.box, pixels=crop.pixels,
                        verdict=verdict_of(float(row[best]),
                                           None if digit_probability is None else float(digit_probability)))


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
                        box=(left, y, max(1, right - left), height), pixels=to_mnist_square(view),
                        verdict=verdict_of(digit.confidence, None), sequence_mark=strip.part)
