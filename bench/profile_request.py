"""Where a request's time goes: every step of the reading path, for five kinds of picture, in process.

Run: python bench/profile_request.py [--repeat 30]
Pictures (made here, seeded): a 28x28 MNIST PNG, a 1200x900 JPEG photo of one digit, a 12 MP
phone photo of one digit, a photographed page of numbers, and a page written small on a large
sheet (its writing read again closer, a step of its own). For each, the median time of each
step over --repeat runs (after one warm-up), and the median of the whole path. The steps are the
pipeline's own named steps (digits.preprocess.pipeline.STEPS) and the models' calls.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict

import cv2
import numpy as np
from synth import INKS, ink_patch, lighting, paper, photograph, place
from synth_pages import choose_numbers, photo_of_page

from digits.config import TEST_CSV, TRAIN_CSV
from digits.data import ensure_mnist_csvs, read_csv
from digits.inference import available_models, load_classifier, load_mark_checker, load_sequence_reader
from digits.pen import tight
from digits.preprocess import decode_picture, read_page
from digits.reading import Prepared, Readers, read_prepared


def photo_of_one_digit(digit28: np.ndarray, width: int, height: int, rng: np.random.Generator) -> bytes:
    """A width x height phone photo of one handwritten digit, as JPEG bytes."""
    ink = tight(ink_patch(digit28, 0.45 * height, rng))
    page = paper(height, width, rng, ruled=False)
    colour = np.array(INKS["blue"], np.float32)
    place(page, ink, (width - ink.shape[1]) // 2, (height - ink.shape[0]) // 2, colour, 0.95)
    page *= lighting(height, width, rng)
    return photograph(page, rng)


class Timed:
    """Wraps a model so each call's time goes to one step of the table."""

    def __init__(self, model, step: str, times: dict):
        self.model, self.step, self.times = model, step, times
        self.card, self.name = getattr(model, "card", {}), getattr(model, "name", step)

    def _timed(self, method: str, *args, **kwargs):
        started = time.perf_counter()
        answer = getattr(self.model, method)(*args, **kwargs)
        self.times[self.step] += time.perf_counter() - started
        return answer

    def probabilities(self, *args, **kwargs):
        """Time the wrapped classifier's call."""
        return self._timed("probabilities", *args, **kwargs)

    def read(self, *args, **kwargs):
        """Time the wrapped sequence reader's call."""
        return self._timed("read", *args, **kwargs)


def profile(data: bytes, readers: Readers, repeat: int) -> dict:
    """Return the median seconds of each step over ``repeat`` runs of the whole path."""
    runs = []
    for _ in range(repeat + 1):
        times: dict = defaultdict(float)
        timed = Readers(Timed(readers.classifier, "classify digits", times),
                        readers.sequence and Timed(readers.sequence, "sequence reader", times),
                        readers.marks and Timed(readers.marks, "mark checker", times))
        started = last = time.perf_counter()

        def step(name: str, times: dict = times) -> None:
            nonlocal last
            now = time.perf_counter()
            times[name] += now - last
            last = now

        decoded = decode_picture(data)
        step("decode")
        lines = read_page(data, decoded, on_step=step)
        before_models = time.perf_counter()
        reading = read_prepared([Prepared(lines=lines, picture=decoded)], timed)[0]
        models = sum(times[name] for name in ("classify digits", "sequence reader", "mark checker"))
        times["choose and give verdicts"] += time.perf_counter() - before_models - models
        last = time.perf_counter()
        reading.to_json()
        step("answer as JSON")
        times["whole path"] = time.perf_counter() - started
        runs.append(times)
    runs = runs[1:]
    return {name: statistics.median(run.get(name, 0.0) for run in runs) for name in runs[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    ensure_mnist_csvs(TRAIN_CSV, TEST_CSV, log=lambda message: None)
    test = read_csv(TEST_CSV)
    digits = test.images.reshape(-1, 28, 28)
    rng = np.random.default_rng(2026)
    pictures = {
        "28x28 PNG": cv2.imencode(".png", digits[0])[1].tobytes(),
        "1200x900 photo": photo_of_one_digit(digits[1], 1200, 900, rng),
        "12 MP photo": photo_of_one_digit(digits[2], 4000, 3000, rng),
        "page": photo_of_page(choose_numbers(rng, test.labels, 3, (2, 2), (3, 4)), digits, rng),
        "small on a page": photo_of_page(choose_numbers(rng, test.labels, 3, (2, 2), (3, 4)), digits, rng,
                                         wide_margin=True),
    }
    readers = Readers(load_classifier(available_models()[0]), load_sequence_reader(), load_mark_checker())
    results = {name: profile(data, readers, args.repeat) for name, data in pictures.items()}
    steps = list(dict.fromkeys(step for result in results.values() for step in result))
    print(f"median ms over {args.repeat} runs; model {readers.classifier.card.get('name')} "
          f"({readers.classifier.runtime})")
    print(f"{'step':48}" + "".join(f"{name:>16}" for name in results))
    for step in steps:
        print(f"{step:48}" + "".join(f"{1000 * result.get(step, 0.0):16.2f}" for result in results.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
