"""predict.py as users run it: folders of pictures, CSV output, Kaggle submissions, bad input."""

from __future__ import annotations

import csv
import subprocess
import sys

from digits.config import PROJECT_ROOT, SAMPLES_DIR
from digits.data import HEADER
from tests.helpers import expected_number


def run(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "predict.py", "--quiet", *arguments], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=180)


def test_reads_every_sample_in_a_folder_as_csv():
    result = run("--csv", str(SAMPLES_DIR))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert {row["file"].rsplit("/", 1)[-1] for row in rows} == {p.name for p in SAMPLES_DIR.iterdir()}
    for row in rows:
        assert row["number"] == expected_number(row["file"].rsplit("/", 1)[-1])
        assert 0 < float(row["confidence"]) <= 1 and row["error"] == ""


def test_unreadable_files_are_reported_and_the_rest_still_read(tmp_path):
    (tmp_path / "notes.png").write_text("not a picture")
    (tmp_path / "five.jpg").write_bytes((SAMPLES_DIR / "pic1.jpg").read_bytes())
    result = run(str(tmp_path))
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert any(line.endswith("five.jpg,5," + line.rsplit(",", 1)[-1]) for line in lines)
    assert any("notes.png" in line and "not a picture" in line for line in lines)
    assert "1 of 2 pictures could not be read" in result.stderr


def test_kaggle_submission(tmp_path, mnist_test):
    test_csv = tmp_path / "test.csv"
    rows = [",".join(HEADER[1:])] + [",".join(map(str, mnist_test.images[i])) for i in range(50)]
    test_csv.write_text("\n".join(rows) + "\n")
    output = tmp_path / "submission.csv"
    result = run("--kaggle", str(test_csv), "--output", str(output))
    assert result.returncode == 0, result.stderr
    submission = list(csv.DictReader(output.read_text().splitlines()))
    assert [int(row["ImageId"]) for row in submission] == list(range(1, 51))
    correct = sum(int(row["Label"]) == mnist_test.labels[i] for i, row in enumerate(submission))
    assert correct >= 48


def test_missing_paths_are_a_usage_error():
    result = run("no/such/folder")
    assert result.returncode == 2 and "no such file or folder" in result.stderr
