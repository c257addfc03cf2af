"""Marks that are not digits, and digits that are: what the reader says of each, through the real server.

Run: python bench/marks.py [--count 500] [--seed 2026] [--kinds ...] [--in-process]
Non-digits (bench/synth_marks.py: letters, symbols, shapes, scribbles, half photographed and
half drawn on a canvas) count as refused when the answer is 422 "no digit found" or every mark
in it is "not a digit" or "unsure". Digits (bench/synth.py's photos and canvas drawings and the
clean MNIST test PNGs, one digit each) count as refused when their mark is not a sure "digit";
for them the table also gives the accuracy on what is kept and on everything, and the expected
calibration error of the confidence shown. Pictures live only in memory.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from common import percentiles, picture_reader, stop_server, wilson_interval
from realworld import make_cases
from synth_marks import canvas_of_mark, mark_of, photo_of_mark

from digits.calibration import expected_calibration_error
from digits.config import TEST_CSV, TRAIN_CSV
from digits.data import ensure_mnist_csvs, read_csv

NON_DIGITS = ("letter", "symbol", "shape", "scribble")
DIGITS = ("photo", "canvas", "clean")


def non_digit_case(kind: str, index: int, rng: np.random.Generator) -> bytes:
    """Return one picture of a non-digit mark, photographed (even index) or on a canvas (odd)."""
    if index % 2 == 0:
        ink, _name = mark_of(kind, rng, rng.uniform(40, 200))
        return photo_of_mark(ink, rng)
    ink, _name = mark_of(kind, rng, rng.uniform(100, 220))
    return canvas_of_mark(ink, rng)


def refused(status: int, body: dict) -> bool:
    """Tell whether an answer refuses the picture's marks as digits."""
    return status == 422 or all(mark.get("verdict") != "digit" for mark in body.get("digits", []))


def non_digit_row(kind: str, args, read) -> str:
    rng = np.random.default_rng([args.seed, 16, NON_DIGITS.index(kind)])
    outcomes, not_digit, seconds = [], 0, []
    for index in range(args.count):
        status, body, elapsed = read(non_digit_case(kind, index, rng))
        seconds.append(elapsed)
        outcomes.append(refused(status, body))
        not_digit += status == 422 or all(mark.get("verdict") == "not a digit" for mark in body.get("digits", []))
    low, high = wilson_interval(sum(outcomes), len(outcomes))
    return (f"{kind:9} {sum(outcomes):>5}/{len(outcomes):<5} refused {np.mean(outcomes):7.1%} ({low:.1%}-{high:.1%})"
            f"  as 'not a digit' {not_digit / len(outcomes):6.1%}  p50 {percentiles(seconds)['p50']:.1f} ms")


def digit_row(kind: str, args, read, images, labels) -> str:
    rng = np.random.default_rng([args.seed, ["photo", "canvas", "number", "clean"].index(kind)])
    kept = correct_kept = correct = 0
    confidences, hits = [], []
    for data, expected in make_cases(kind, args.count, images, labels, rng):
        status, body, _elapsed = read(data)
        marks = body.get("digits", []) if status == 200 else []
        sure = len(marks) == 1 and marks[0].get("verdict") == "digit"
        right = status == 200 and body.get("number") == expected
        kept += sure
        correct_kept += sure and right
        correct += right
        if len(marks) == 1:
            confidences.append(marks[0]["confidence"])
            hits.append(right)
    probabilities = np.stack([1 - np.asarray(confidences), np.asarray(confidences)], 1)
    ece = expected_calibration_error(probabilities, np.asarray(hits, int)) if confidences else float("nan")
    count = args.count
    return (f"{kind:9} refused {1 - kept / count:6.2%}  accuracy on kept {correct_kept / max(kept, 1):7.2%}"
            f"  on all {correct / count:7.2%}  calibration error {ece:6.2%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="pictures per kind (default 500)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--model", help="model to ask for (default: the server's default)")
    parser.add_argument("--kinds", default=",".join(NON_DIGITS + DIGITS))
    parser.add_argument("--in-process", action="store_true", help="read without a server (quick looks)")
    args = parser.parse_args()
    ensure_mnist_csvs(TRAIN_CSV, TEST_CSV, log=lambda message: None)
    test = read_csv(TEST_CSV)
    read, process = picture_reader(args.in_process, args.model)
    print(f"{args.count} pictures per kind, seed {args.seed}")
    try:
        for kind in args.kinds.split(","):
            row = (non_digit_row(kind, args, read) if kind in NON_DIGITS
                   else digit_row(kind, args, read, test.images, test.labels))
            print(row, flush=True)
    finally:
        if process is not None:
            stop_server(process)
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    status = main()
    print(f"done in {time.perf_counter() - started:.0f} s")
    sys.exit(status)
