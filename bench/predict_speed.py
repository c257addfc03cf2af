"""predict.py on the 10,000 MNIST test digits saved as PNG files: pictures per second.

Run: python bench/predict_speed.py [--model cnn]
Writes the PNGs to a temporary folder, runs predict.py on it as a user would, checks every
answer, and prints the throughput with and without the fixed start-up (TensorFlow, model).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, png

from digits.config import TEST_CSV, TRAIN_CSV
from digits.data import ensure_mnist_csvs, read_csv


def run_predict(arguments: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "predict.py", "--quiet", "--csv", *arguments], cwd=ROOT,
                            capture_output=True, text=True)
    if result.returncode not in (0, 1):  # 1: some pictures were not read; the CSV says which and why
        raise RuntimeError(f"predict.py failed ({result.returncode}): {result.stderr.strip()[-500:]}")
    return time.perf_counter() - started, result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model for predict.py (default: its default)")
    args = parser.parse_args()
    ensure_mnist_csvs(TRAIN_CSV, TEST_CSV, log=lambda message: None)
    test = read_csv(TEST_CSV)
    model = ["--model", args.model] if args.model else []
    with tempfile.TemporaryDirectory() as folder:
        for index, pixels in enumerate(test.images.reshape(-1, 28, 28)):
            (Path(folder) / f"{index:05d}.png").write_bytes(png(pixels))
        startup, _ = run_predict([*model, str(Path(folder) / "00000.png")])
        seconds, output = run_predict([*model, folder])
    rows = [line.split(",") for line in output.strip().splitlines()[1:]]
    correct = sum(row[1] == str(test.labels[int(Path(row[0]).stem)]) for row in rows)
    work = seconds - startup
    print(f"predict.py on {len(rows)} PNG files: {seconds:.1f} s in all, {len(rows) / seconds:,.0f} pictures/s; "
          f"without the {startup:.1f} s start-up {len(rows) / work:,.0f} pictures/s; "
          f"{correct / len(rows):.2%} read correctly; {sum(row[-1] != '' for row in rows)} not read")
    return 0


if __name__ == "__main__":
    sys.exit(main())
