"""Real-world pictures through the real server: photos, canvas drawings, numbers, clean MNIST PNGs, close crops.

Run: python bench/realworld.py [--count 2000] [--seed 2026] [--model cnn] [--save-misses] [--in-process]
Renders MNIST *test* digits (never trained on) with a seeded generator (bench/synth.py),
sends each picture to POST /api/predict of the server started as the README does, and prints
the accuracy per kind with its 95% interval, and the time per picture. Pictures live only in
memory. A larger --count keeps the first pictures and adds more: 500 pictures pin an accuracy
near 99% to about +-1 point, 2000 (the default, about 7 minutes) to about +-0.5, which is
what it takes to tell a result from targets half a point apart.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from common import percentiles, picture_reader, png, stop_server, wilson_interval
from synth import CANVAS_STYLES, canvas_drawing, photo_of_digits

from digits.config import TEST_CSV, TRAIN_CSV
from digits.data import ensure_mnist_csvs, read_csv

# "cropped": a photo of one digit cut close around the writing (a few pixels of paper each side).
TARGETS = {"photo": 0.985, "canvas": 0.99, "number": 0.95, "clean": None, "cropped": None}


def make_cases(kind: str, count: int, images: np.ndarray, labels: np.ndarray, rng: np.random.Generator):
    """Yield (picture bytes, expected number) for one kind."""
    pictures = images.reshape(-1, 28, 28)
    for index in range(count):
        if kind == "number":
            length = int(rng.integers(2, 7))
            chosen = rng.integers(0, len(pictures), length)
            yield (photo_of_digits([pictures[i] for i in chosen], rng),
                   "".join(str(labels[i]) for i in chosen))
            continue
        chosen = int(rng.integers(0, len(pictures)))
        if kind == "photo":
            yield photo_of_digits([pictures[chosen]], rng), str(labels[chosen])
        elif kind == "cropped":
            photo = photo_of_digits([pictures[chosen]], rng, margin_range=(0.0, 0.1), margin_pixels=3)
            yield photo, str(labels[chosen])
        elif kind == "canvas":
            style = CANVAS_STYLES[index % len(CANVAS_STYLES)]
            brush = ("thick", "thin")[(index // len(CANVAS_STYLES)) % 2]
            yield canvas_drawing(pictures[chosen], rng, style, brush), str(labels[chosen])
        else:
            yield png(pictures[index]), str(labels[index])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="pictures per kind (default 2000)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--model", help="model to ask for (default: the server's default)")
    parser.add_argument("--kinds", default="photo,canvas,number,clean,cropped")
    parser.add_argument("--save-misses", action="store_true", help="write misread pictures to bench/out/")
    parser.add_argument("--in-process", action="store_true", help="read without a server (quick looks)")
    args = parser.parse_args()
    ensure_mnist_csvs(TRAIN_CSV, TEST_CSV, log=lambda message: None)
    test = read_csv(TEST_CSV)
    out_dir = Path(__file__).resolve().parent / "out"
    read, process = picture_reader(args.in_process, args.model)
    print(f"{args.count} pictures per kind, seed {args.seed}")
    failed = False
    try:
        print(f"{'kind':8} {'correct':>9} {'accuracy':>9} {'95% interval':>15} {'target':>7}  {'p50 ms':>7} "
              f"{'max ms':>7}  model")
        for kind in args.kinds.split(","):
            rng = np.random.default_rng([args.seed, list(TARGETS).index(kind)])
            correct, times, model, statuses = 0, [], "?", {}
            for index, (data, expected) in enumerate(make_cases(kind, args.count, test.images,
                                                                test.labels, rng)):
                status, body, elapsed = read(data)
                times.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
                model = body.get("model", model)
                got = body.get("number") if status == 200 else f"{status}"
                if got == expected:
                    correct += 1
                elif args.save_misses:
                    out_dir.mkdir(exist_ok=True)
                    suffix = ".jpg" if data[:2] == b"\xff\xd8" else ".png"
                    (out_dir / f"{kind}_{index:04d}_{expected}_read_{got}{suffix}").write_bytes(data)
            accuracy = correct / args.count
            target = TARGETS[kind]
            stats = percentiles(times)
            mark = "" if target is None else ("ok" if accuracy >= target else "BELOW")
            failed |= mark == "BELOW"
            low, high = wilson_interval(correct, args.count)
            print(f"{kind:8} {correct:>5}/{args.count:<4}{accuracy:>8.2%} {f'{low:.1%}-{high:.1%}':>15} "
                  f"{'' if target is None else f'{target:.1%}':>7}  {stats['p50']:>7.1f} "
                  f"{1000 * max(times):>7.1f}  {model} {mark}"
                  + (f"  statuses {statuses}" if set(statuses) != {200} else ""))
    finally:
        if process is not None:
            stop_server(process)
    return 1 if failed else 0


if __name__ == "__main__":
    started = time.perf_counter()
    status = main()
    print(f"done in {time.perf_counter() - started:.0f} s")
    sys.exit(status)
