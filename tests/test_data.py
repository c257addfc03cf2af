"""CSV writing and reading: every accepted layout, every malformed case, the official data check."""

from __future__ import annotations

import gzip
import io
import pickle
import subprocess
import sys

import numpy as np
import pytest

from digits.config import PROJECT_ROOT
from digits.data import (
    HEADER,
    CSVFormatError,
    DataError,
    arrays_from_mnist_pickle,
    read_csv,
    verify_official,
    write_csv,
)

RNG = np.random.default_rng(7)
IMAGES = RNG.integers(0, 256, size=(12, 784), dtype=np.uint8)
LABELS = np.arange(12, dtype=np.uint8) % 10


def write_text(tmp_path, text: str, name: str = "bad.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def good_rows(count: int = 3, header: bool = True) -> list[str]:
    rows = [",".join(map(str, [LABELS[i], *IMAGES[i]])) for i in range(count)]
    return ([",".join(HEADER)] if header else []) + rows


def test_write_then_read_round_trip(tmp_path):
    path = tmp_path / "digits.csv"
    write_csv(path, IMAGES, LABELS)
    lines = path.read_text().splitlines()
    assert lines[0] == ",".join(HEADER)
    assert len(lines) == 13
    digits = read_csv(path)
    assert digits.images.dtype == np.uint8 and digits.images.shape == (12, 784)
    np.testing.assert_array_equal(digits.images, IMAGES)
    np.testing.assert_array_equal(digits.labels, LABELS)


def test_reads_headerless_layout(tmp_path):
    path = write_text(tmp_path, "\n".join(good_rows(header=False)) + "\n", "mnist_train.csv")
    digits = read_csv(path)
    np.testing.assert_array_equal(digits.images, IMAGES[:3])
    np.testing.assert_array_equal(digits.labels, LABELS[:3])


def test_reads_kaggle_train_layout_with_crlf_and_other_column_names(tmp_path):
    header = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
    path = write_text(tmp_path, "\r\n".join([header, *good_rows(header=False)]) + "\r\n", "train.csv")
    digits = read_csv(path)
    np.testing.assert_array_equal(digits.images, IMAGES[:3])


def test_reads_kaggle_test_layout_without_labels(tmp_path):
    rows = [",".join(HEADER[1:])] + [",".join(map(str, IMAGES[i])) for i in range(4)]
    path = write_text(tmp_path, "\n".join(rows) + "\n", "test.csv")
    digits = read_csv(path, require_labels=False)
    assert digits.labels is None
    np.testing.assert_array_equal(digits.images, IMAGES[:4])
    with pytest.raises(CSVFormatError, match="784 columns, expected 785"):
        read_csv(path)


def replace_cell(rows: list[str], row: int, column: int, value: str) -> list[str]:
    cells = rows[row].split(",")
    cells[column] = value
    return rows[:row] + [",".join(cells)] + rows[row + 1:]


MALFORMED = {
    "missing": (None, "no such file"),
    "empty": ("", "the file is empty"),
    "header only": (",".join(HEADER) + "\n", "no data rows"),
    "too few columns on line 1": ("1,2,3\n", "line 1 has 3 columns, expected 785"),
    "extra column": ("\n".join(good_rows()[:2] + [good_rows()[2] + ",5"]) + "\n",
                     "line 3 has 786 columns, expected 785"),
    "short row": ("\n".join(good_rows()[:2] + [",".join(good_rows()[2].split(",")[:700])]) + "\n",
                  r"line 3, column 701 \(pixel699\): empty cell"),
    "non-numeric": ("\n".join(replace_cell(good_rows(), 2, 13, "abc")) + "\n",
                    r"line 3, column 14 \(pixel12\): 'abc' is not a number"),
    "label 10": ("\n".join(replace_cell(good_rows(), 3, 0, "10")) + "\n",
                 r"line 4, column 1 \(label\): label 10 is not an integer in 0–9"),
    "negative label": ("\n".join(replace_cell(good_rows(), 1, 0, "-1")) + "\n",
                       r"line 2, column 1 \(label\): label -1 is not an integer in 0–9"),
    "pixel 256": ("\n".join(replace_cell(good_rows(), 1, 785 - 1, "256")) + "\n",
                  r"line 2, column 785 \(pixel783\): pixel 256 is not an integer in 0–255"),
    "fractional pixel": ("\n".join(replace_cell(good_rows(), 2, 5, "3.5")) + "\n",
                         r"line 3, column 6 \(pixel4\): pixel 3.5 is not an integer in 0–255"),
    "wrong first header": ("\n".join(["digit" + ",".join(HEADER)[5:], *good_rows(header=False)]) + "\n",
                           "line 1, column 1: header 'digit' where 'label' was expected"),
    "binary junk": ("\x00\x01\x02garbage\n", "line 1 has 1 columns, expected 785"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_csv_raises_clear_error(tmp_path, case):
    text, message = MALFORMED[case]
    path = tmp_path / "bad.csv"
    if text is not None:
        path.write_text(text)
    with pytest.raises(CSVFormatError, match=message) as raised:
        read_csv(path)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_trainer_reports_malformed_csv_in_one_line_with_status_2(tmp_path, case):
    text, message = MALFORMED[case]
    bad = tmp_path / "bad.csv"
    if text is not None:
        bad.write_text(text)
    good = tmp_path / "good.csv"
    write_csv(good, IMAGES, LABELS)
    result = subprocess.run(
        [sys.executable, "trainer.py", "--train-csv", str(bad), "--test-csv", str(good),
         "--out", str(tmp_path / "model")],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("trainer.py: error: ")
    assert str(bad) in lines[0]
    assert "Traceback" not in result.stderr


def test_reading_seventy_thousand_rows_takes_seconds(mnist_csvs):
    train = read_csv(mnist_csvs[0])
    test = read_csv(mnist_csvs[1])
    assert (len(train), len(test)) == (60000, 10000)
    assert np.bincount(train.labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    verify_official({"x_train": train.images, "y_train": train.labels,
                     "x_test": test.images, "y_test": test.labels})


def test_mnist_pickle_is_converted_to_exact_uint8():
    pixels = np.resize(np.arange(256, dtype=np.uint8), 784)
    train = ((pixels[None].repeat(2, 0) / 256).astype(np.float32), np.array([3, 4]))
    valid = (np.full((1, 784), 255 / 256, np.float32), np.array([9]))
    test = (np.zeros((1, 784), np.float32), np.array([0]))
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as handle:
        pickle.dump((train, valid, test), handle)
    arrays = arrays_from_mnist_pickle(buffer.getvalue())
    assert arrays["x_train"].dtype == np.uint8
    np.testing.assert_array_equal(arrays["x_train"][0], pixels)
    np.testing.assert_array_equal(arrays["y_train"], [3, 4, 9])  # train then valid
    assert arrays["x_train"][2].min() == 255


def test_data_that_is_not_the_official_mnist_is_refused(mnist_test):
    fake = {"x_train": np.zeros((2, 784), np.uint8), "y_train": np.zeros(2, np.uint8),
            "x_test": mnist_test.images, "y_test": mnist_test.labels}
    with pytest.raises(DataError, match="x_train does not match the official data"):
        verify_official(fake)


def test_data_folder_is_not_committed():
    ignored = (PROJECT_ROOT / ".gitignore").read_text().split()
    assert "data/" in ignored
