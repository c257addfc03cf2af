"""The calibration step: fit a temperature on validation digits, measure it on the test set, draw it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digits.calibration import (
    ECE_BINS,
    apply_temperature,
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    reliability,
)


def calibration_record(validation: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray],
                       fitted_on: str) -> dict:
    """Return the card's calibration: a temperature fitted on ``validation``, checked on ``test``.

    Both are (probabilities, labels) of the model as trained.
    """
    validation_probabilities, validation_labels = validation
    test_probabilities, test_labels = test
    temperature = fit_temperature(validation_probabilities, validation_labels)
    calibrated = apply_temperature(test_probabilities, temperature)
    return {
        "temperature": round(temperature, 6),
        "fitted_on": fitted_on,
        "validation_nll_before": round(negative_log_likelihood(validation_probabilities, validation_labels), 6),
        "validation_nll_after": round(negative_log_likelihood(
            apply_temperature(validation_probabilities, temperature), validation_labels), 6),
        "test_ece_before": round(expected_calibration_error(test_probabilities, test_labels), 6),
        "test_ece_after": round(expected_calibration_error(calibrated, test_labels), 6),
        "ece_bins": ECE_BINS,
    }


def write_reliability_diagram(name: str, record: dict, test: tuple[np.ndarray, np.ndarray], out_dir: Path) -> Path:
    """Write the model's reliability diagram on the test set, before and after calibration, as a PNG."""
    from digits import plots

    probabilities, labels = test
    out_dir.mkdir(parents=True, exist_ok=True)
    return plots.plot_reliability(reliability(probabilities, labels),
                                  reliability(apply_temperature(probabilities, record["temperature"]), labels),
                                  name, out_dir / f"{name}_reliability.png",
                                  (record["test_ece_before"], record["test_ece_after"]))
