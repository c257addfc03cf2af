"""Command line of predict.py: read many pictures (or a Kaggle test CSV) in batches."""

from __future__ import annotations

import argparse
import csv
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from digits.errors import PictureError
from digits.profiles import DIGIT_MODEL_NAMES
from digits.reading import Readers, prepare, read_prepared
from digits.runtimes import RUNTIME_CHOICES

PICTURE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}
BATCH = 512


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of predict.py."""
    parser = argparse.ArgumentParser(
        prog="predict.py",
        description="Read the digits in pictures and print file,number,confidence for each.")
    parser.add_argument("paths", nargs="*", type=Path, help="picture files or folders (searched recursively)")
    parser.add_argument("--csv", action="store_true", help="print CSV with a header line")
    parser.add_argument("--kaggle", type=Path, metavar="TEST_CSV",
                        help="classify a Kaggle Digit Recognizer test.csv and write a submission")
    parser.add_argument("--output", type=Path, default=Path("submission.csv"),
                        help="where --kaggle writes ImageId,Label (default submission.csv)")
    parser.add_argument("--model", choices=DIGIT_MODEL_NAMES, help="model (default: the most accurate one)")
    parser.add_argument("--runtime", choices=RUNTIME_CHOICES, default="auto",
                        help="what runs the model (default auto: ONNX Runtime when it gives Keras' answers)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def find_pictures(paths: list[Path]) -> list[Path]:
    """Return the picture files named or found under the given folders, in a stable order."""
    found = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in PICTURE_SUFFIXES
                                and p.is_file()))
        else:
            found.append(path)
    return found


class Progress:
    """A small progress bar on standard error (only when it is a terminal)."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.done = total, 0
        self.enabled = enabled and sys.stderr.isatty() and total > 0
        self.started = time.perf_counter()

    def advance(self, count: int) -> None:
        """Count ``count`` more pictures done and redraw the bar."""
        self.done += count
        if not self.enabled:
            return
        share = self.done / self.total
        rate = self.done / max(time.perf_counter() - self.started, 1e-9)
        bar = "#" * int(30 * share)
        sys.stderr.write(f"\r[{bar:<30}] {self.done}/{self.total} pictures, {rate:,.0f}/s")
        if self.done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def read_one(path: Path):
    """Return (prepared picture, None) for a picture file, or (None, error message)."""
    try:
        return prepare(path.read_bytes(), keep_picture=False), None
    except PictureError as error:
        return None, error.message
    except OSError as error:
        return None, f"cannot read the file ({error.strerror})"


def read_chunk(paths: list[Path]) -> list:
    """Return read_one's answer for each path."""
    return [read_one(path) for path in paths]


def classify_files(files: list[Path], readers: Readers, show_progress: bool):
    """Yield (path, Reading or None, error) for each file, classifying each chunk in one batch.

    One thread reads the next chunk of files while the model works on this one (the model
    releases the GIL). More reader threads were slower: small pictures are GIL-bound work.
    """
    progress = Progress(len(files), show_progress)
    chunks = [files[start:start + BATCH] for start in range(0, len(files), BATCH)]
    with ThreadPoolExecutor(max_workers=1) as reader:
        upcoming = reader.submit(read_chunk, chunks[0]) if chunks else None
        for index, chunk in enumerate(chunks):
            prepared = upcoming.result()
            if index + 1 < len(chunks):
                upcoming = reader.submit(read_chunk, chunks[index + 1])
            readable = [picture for picture, _error in prepared if picture is not None]
            readings = iter(read_prepared(readable, readers, max_batch=BATCH))
            for path, (picture, error) in zip(chunk, prepared, strict=True):
                reading = next(readings) if picture is not None else None
                if reading is not None and not reading.number:
                    reading, error = None, "no digit found"
                yield path, reading, error
            progress.advance(len(chunk))


def kaggle_submission(test_csv: Path, output: Path, classifier, show_progress: bool) -> int:
    """Write ImageId,Label for every row of a Kaggle test.csv; return the row count."""
    from digits.data import read_csv

    digits = read_csv(test_csv, require_labels=False)
    progress = Progress(len(digits), show_progress)
    labels = []
    for start in range(0, len(digits), BATCH):
        chunk = digits.images[start:start + BATCH].reshape(-1, 28, 28)
        labels.extend(classifier.probabilities(chunk, max_batch=BATCH).argmax(axis=1).tolist())
        progress.advance(len(chunk))
    with open(output, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ImageId", "Label"])
        writer.writerows((index + 1, label) for index, label in enumerate(labels))
    return len(labels)


def main(argv: list[str] | None = None) -> int:
    """Run predict.py; return the exit status (1 if any picture could not be read, 2 for bad use)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.paths and not args.kaggle:
        parser.error("name picture files or folders, or --kaggle test.csv")
    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        print(f"predict.py: error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    from digits.data import CSVFormatError
    from digits.inference import available_models, load_classifier, load_mark_checker, load_sequence_reader

    names = available_models()
    name = args.model or (names[0] if names else "dense")
    try:
        classifier = load_classifier(name, runtime=args.runtime)
        readers = Readers(classifier) if args.kaggle else Readers(
            classifier, load_sequence_reader(runtime=args.runtime), load_mark_checker(runtime=args.runtime))
    except (FileNotFoundError, RuntimeError) as error:
        print(f"predict.py: error: {error}", file=sys.stderr)
        return 2
    if args.kaggle:
        try:
            count = kaggle_submission(args.kaggle, args.output, classifier, not args.quiet)
        except CSVFormatError as error:
            print(f"predict.py: error: {error}", file=sys.stderr)
            return 2
        print(f"wrote {count} predictions by {classifier.card.get('name', name)} to {args.output}")
        return 0
    files = find_pictures(args.paths)
    failures = write_readings(classify_files(files, readers, not args.quiet), args.csv)
    if failures:
        print(f"predict.py: {failures} of {len(files)} pictures could not be read", file=sys.stderr)
    return 1 if failures else 0


def write_readings(readings, as_csv: bool) -> int:
    """Print each file's reading: ``file,number,confidence`` lines, or CSV with the text; return the failures.

    The CSV's ``text`` column holds the numbers separated by spaces and the lines by newlines,
    quoted as CSV quotes them.
    """
    writer = csv.writer(sys.stdout) if as_csv else None
    if writer:
        writer.writerow(["file", "number", "text", "confidence", "error"])
    failures = 0
    for path, reading, error in readings:
        failures += error is not None
        if writer:
            writer.writerow([str(path), reading.number if reading else "", reading.text if reading else "",
                             f"{reading.confidence:.4f}" if reading else "", error or ""])
        elif error:
            print(f"{path},,  ({error})")
        else:
            print(f"{path},{reading.number},{reading.confidence:.4f}")
    return failures
