"""Pages through the real server: several lines, lists, touching digits, drawn and photographed.

Run: python bench/pages.py [--count 500] [--seed 2026] [--kinds page,list,...] [--save-misses]
Renders MNIST *test* digits (never trained on) with a seeded generator (bench/synth_pages.py),
sends each picture to POST /api/predict and compares the answer's "text" (numbers separated by
one space, lines by a newline) with what was written. Prints per kind: pages read exactly,
lines read exactly, digits read (aligned by edit distance), each with its 95% interval, and
the time per picture. Pictures live only in memory; --in-process reads them without a server
(a quick look while tuning; the figures that count come through the server).

Below the table, per kind: how many pictures hold a digit that the classifier misreads even as
the clean MNIST picture itself (no reading of the photo can be sure to get those right), and how
many of the other pictures were read exactly: what the way from picture to model input costs.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from common import percentiles, picture_reader, stop_server, wilson_interval
from synth_pages import canvas_page, choose_numbers, photo_of_page, text_of

from digits.config import TEST_CSV, TRAIN_CSV
from digits.data import ensure_mnist_csvs, read_csv

# kind -> (renderer, lines, numbers per line, digits per number, chance that neighbours touch)
KINDS = {
    "page": (photo_of_page, (2, 4), (1, 3), (1, 5), 0.0),
    "list": (photo_of_page, (2, 6), (1, 1), (1, 6), 0.0),
    "touching": (photo_of_page, (1, 1), (1, 1), (2, 5), 1.0),
    "canvas-lines": (canvas_page, (2, 2), (1, 2), (1, 4), 0.0),
    "canvas-touching": (canvas_page, (1, 1), (1, 1), (2, 4), 1.0),
}
TARGETS = {"page": 0.90, "list": 0.93, "touching": 0.85}


@dataclass
class Tally:
    """What one kind scored."""

    pictures: int = 0
    exact: int = 0
    lines: int = 0
    lines_exact: int = 0
    digits: int = 0
    digits_read: int = 0
    seconds: list = field(default_factory=list)


def edit_distance(a: str, b: str) -> int:
    """Return the Levenshtein distance between two strings."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def score(tally: Tally, expected: str, got: str, seconds: float) -> bool:
    """Add one picture's outcome to the tally; return whether it was read exactly."""
    tally.pictures += 1
    tally.seconds.append(seconds)
    tally.exact += got == expected
    expected_lines, got_lines = expected.split("\n"), got.split("\n")
    tally.lines += len(expected_lines)
    tally.lines_exact += sum(a == b for a, b in zip(expected_lines, got_lines, strict=False))
    expected_digits = expected.replace(" ", "").replace("\n", "")
    got_digits = got.replace(" ", "").replace("\n", "")
    tally.digits += len(expected_digits)
    tally.digits_read += max(0, len(expected_digits) - edit_distance(expected_digits, got_digits))
    return got == expected


def make_case(kind: str, rng: np.random.Generator, images: np.ndarray, labels: np.ndarray,
              number_gap: tuple[float, float] | None = None, squared: bool = False,
              on_desk: bool = False, close_up: bool = False, sharp_shadow: bool = False,
              wide_margin: bool = False, underlined: bool = False, *,
              framed: bool = False) -> tuple[bytes, str, list[int]]:
    """Return (picture bytes, expected text, the MNIST test rows it shows) for one picture of a kind.

    ``number_gap`` overrides its spacing; ``squared`` photographs it on squared paper and
    ``on_desk`` as a sheet on a desk seen at an angle, ``close_up`` from close, the sheet cut
    by the photo's edge, ``sharp_shadow`` under a darker shadow with a sharper edge, ``wide_margin``
    written small on a large page (photographed kinds); ``underlined`` draws a line under each
    number of the last line and ``framed`` a box or a ring round each (every kind).
    """
    render, lines, numbers, digits, touching = KINDS[kind]
    layout = choose_numbers(rng, labels, int(rng.integers(lines[0], lines[1] + 1)), numbers, digits)
    options = {} if number_gap is None else {"number_gap": number_gap}
    if underlined:
        options["underlined"] = True
    if framed:
        options["framed"] = True
    if render is photo_of_page:
        options.update({name: True for name, wanted in (("squared", squared), ("on_desk", on_desk or close_up),
                                                        ("close_up", close_up), ("sharp_shadow", sharp_shadow),
                                                        ("wide_margin", wide_margin))
                        if wanted})
    rows = [int(row) for line in layout for number in line for row in number]
    return render(layout, images, rng, touching=touching, **options), text_of(layout, labels), rows


def misread_clean(model: str | None, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Return, per MNIST test row, whether the classifier misreads the clean 28x28 picture itself."""
    from digits.inference import available_models, load_classifier

    probabilities = load_classifier(model or available_models()[0]).probabilities(images)
    return np.asarray(probabilities).argmax(axis=1) != labels


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="pictures per kind (default 500)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--model", help="model to ask for (default: the server's default)")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--in-process", action="store_true", help="read without a server (quick looks)")
    parser.add_argument("--save-misses", action="store_true", help="write misread pictures to bench/out/")
    parser.add_argument("--number-gap", help="LOW,HIGH: space between numbers on a line, in digit heights "
                        "(default: each kind's own; 1.3,3.5 for photographed pages)")
    parser.add_argument("--squared", action="store_true",
                        help="photograph the pages on squared paper (a maths exercise book) instead")
    parser.add_argument("--on-desk", action="store_true",
                        help="photograph each sheet lying on a desk, at an angle, the desk around it")
    parser.add_argument("--close-up", action="store_true",
                        help="as --on-desk, but from close: the photo cuts the sheet on one or two sides")
    parser.add_argument("--sharp-shadow", action="store_true",
                        help="cast a darker shadow with a sharper edge across each photographed page")
    parser.add_argument("--wide-margin", action="store_true",
                        help="write the numbers small on a large page: 6-12 digit heights of paper round them")
    parser.add_argument("--underlined", action="store_true",
                        help="draw a line under each number of the last line, as under a total")
    parser.add_argument("--framed", action="store_true",
                        help="draw a box or a ring round each number of the last line, as round an answer")
    args = parser.parse_args()
    ensure_mnist_csvs(TRAIN_CSV, TEST_CSV, log=lambda message: None)
    test = read_csv(TEST_CSV)
    images = test.images.reshape(-1, 28, 28)
    out_dir = Path(__file__).resolve().parent / "out"
    number_gap = tuple(float(value) for value in args.number_gap.split(",")) if args.number_gap else None
    misread = misread_clean(args.model, images, test.labels)
    read, process = picture_reader(args.in_process, args.model)
    failed, bounds = False, []
    print(f"{args.count} pictures per kind, seed {args.seed}")
    print(f"{'kind':16} {'exact':>16} {'95% interval':>13} {'lines exact':>12} {'digits':>8} {'p50 ms':>7} "
          f"{'max ms':>7}  target")
    try:
        for kind in args.kinds.split(","):
            rng = np.random.default_rng([args.seed, list(KINDS).index(kind), 15])
            tally, clean_bound, other_exact = Tally(), 0, 0
            for index in range(args.count):
                data, expected, rows = make_case(kind, rng, images, test.labels, number_gap, args.squared,
                                                  args.on_desk, args.close_up, args.sharp_shadow, args.wide_margin,
                                                  args.underlined, framed=args.framed)
                status, body, seconds = read(data)
                got = body.get("text", "") if status == 200 else f"<{status}>"
                exact = score(tally, expected, got, seconds)
                bound = bool(misread[rows].any())
                clean_bound += bound
                other_exact += exact and not bound
                if not exact and args.save_misses:
                    out_dir.mkdir(exist_ok=True)
                    suffix = ".jpg" if data[:2] == b"\xff\xd8" else ".png"
                    shown = lambda text: text.replace("\n", "|").replace(" ", "_")  # noqa: E731
                    (out_dir / f"{kind}_{index:04d}_{shown(expected)}_read_{shown(got)}{suffix}").write_bytes(data)
            low, high = wilson_interval(tally.exact, tally.pictures)
            target = TARGETS.get(kind)
            mark = "" if target is None else ("ok" if tally.exact / tally.pictures >= target else "BELOW")
            failed |= mark == "BELOW"
            times = percentiles(tally.seconds)
            print(f"{kind:16} {tally.exact:>5}/{tally.pictures:<4} {tally.exact / tally.pictures:>6.1%} "
                  f"{f'{low:.1%}-{high:.1%}':>13} {tally.lines_exact / tally.lines:>12.1%} "
                  f"{tally.digits_read / tally.digits:>8.1%} {times['p50']:>7.1f} {1000 * max(tally.seconds):>7.1f}"
                  f"  {'' if target is None else f'{target:.0%} {mark}'}", flush=True)
            others = tally.pictures - clean_bound
            bounds.append(f"{kind:16} {clean_bound} of {tally.pictures} hold a digit the classifier misreads clean; "
                          f"of the other {others}, {other_exact} read exactly"
                          + (f" ({other_exact / others:.1%})" if others else ""))
        print("\n".join(["", "Digits misread even as clean MNIST pictures:", *bounds]))
    finally:
        if process is not None:
            stop_server(process)
    return 1 if failed else 0


if __name__ == "__main__":
    started = time.perf_counter()
    status = main()
    print(f"done in {time.perf_counter() - started:.0f} s")
    sys.exit(status)
