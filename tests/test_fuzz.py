"""Property-based fuzzing of decoding and preprocessing: only PictureError, never another exception."""

from __future__ import annotations

import io

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from digits.preprocess import DigitCrop, PictureError, digits_from_array, extract_digits

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_outcome(run) -> None:
    """Either digits come back (valid 28x28 inputs) or a PictureError with an HTTP status."""
    try:
        crops = run()
    except PictureError as error:
        assert error.status in (400, 413, 415, 422)
        assert error.message
        return
    assert crops and all(isinstance(crop, DigitCrop) for crop in crops)
    for crop in crops:
        assert crop.pixels.shape == (28, 28) and crop.pixels.dtype == np.uint8
        assert len(crop.box) == 4 and crop.box[2] >= 1 and crop.box[3] >= 1


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes(data):
    check_outcome(lambda: extract_digits(data))


def valid_file(format_name: str) -> bytes:
    picture = np.full((64, 64), 255, np.uint8)
    picture[10:54, 28:36] = 0
    buffer = io.BytesIO()
    Image.fromarray(picture).convert("RGB").save(buffer, format=format_name)
    return buffer.getvalue()


VALID = {"PNG": valid_file("PNG"), "JPEG": valid_file("JPEG"), "GIF": valid_file("GIF"),
         "BMP": valid_file("BMP")}


@FUZZ
@given(st.sampled_from(sorted(VALID)), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)),
                                                 min_size=1, max_size=12),
       st.integers(0, 10**6))
def test_mutated_valid_files(format_name, flips, cut):
    data = bytearray(VALID[format_name])
    for position, value in flips:
        data[position % len(data)] = value
    data = bytes(data[: max(1, cut % (len(data) + 1))])
    check_outcome(lambda: extract_digits(data))


DTYPES = st.sampled_from([np.uint8, np.uint16, np.int16, np.int32, np.int64, np.float32, np.float64,
                          np.bool_, np.float16])


@FUZZ
@given(hnp.arrays(dtype=DTYPES, shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=40)))
def test_random_arrays_of_any_shape_and_dtype(array):
    check_outcome(lambda: digits_from_array(array))


@FUZZ
@given(hnp.arrays(dtype=np.uint8, shape=st.tuples(st.integers(1, 120), st.integers(1, 120)),
                  elements=st.integers(0, 255)))
def test_random_grey_pictures(array):
    check_outcome(lambda: digits_from_array(array))


def test_non_numeric_arrays_are_refused():
    for array in (np.array([["a", "b"], ["c", "d"]]), np.zeros((4, 4), dtype=complex)):
        check_outcome(lambda array=array: digits_from_array(array))
