"""Confidence that means what it says: temperature scaling (Guo et al. 2017) and how far off a model is.

A model's probabilities p are re-weighted as softmax(log p / T): T > 1 tempers an overconfident
model, T < 1 sharpens an underconfident one (label smoothing makes the CNN say 96% where it is
right 99.7% of the time). T is fitted on held-out validation digits, never the test set, by
minimising the negative log-likelihood; the argmax, and so the accuracy, never changes.
"""

from __future__ import annotations

import numpy as np

ECE_BINS = 15


def apply_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Return probabilities re-weighted by ``temperature`` (rows still sum to 1; 1.0 changes nothing)."""
    probabilities = np.asarray(probabilities, np.float64)
    if temperature == 1.0:
        return probabilities
    logits = np.log(np.clip(probabilities, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    exponentials = np.exp(logits)
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


def negative_log_likelihood(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Return the mean negative log-likelihood of the true labels."""
    chosen = np.asarray(probabilities)[np.arange(len(labels)), np.asarray(labels, int)]
    return float(-np.mean(np.log(np.clip(chosen, 1e-12, 1.0))))


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Return the temperature that minimises the labels' negative log-likelihood (golden-section on log T)."""
    low, high = np.log(0.05), np.log(20.0)
    ratio = (np.sqrt(5) - 1) / 2

    def loss(log_temperature: float) -> float:
        return negative_log_likelihood(apply_temperature(probabilities, float(np.exp(log_temperature))), labels)

    first, second = high - ratio * (high - low), low + ratio * (high - low)
    for _ in range(60):
        if loss(first) < loss(second):
            high, second = second, first
            first = high - ratio * (high - low)
        else:
            low, first = first, second
            second = low + ratio * (high - low)
    return float(np.exp((low + high) / 2))


def reliability(probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> list[dict]:
    """Return, per confidence bin, how many answers fell in it, their mean confidence and their accuracy."""
    probabilities = np.asarray(probabilities)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == np.asarray(labels)
    edges = np.linspace(0, 1, bins + 1)
    table = []
    for low, high in zip(edges, edges[1:], strict=False):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            table.append({"low": float(low), "high": float(high), "count": int(inside.sum()),
                          "confidence": float(confidence[inside].mean()), "accuracy": float(correct[inside].mean())})
    return table


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> float:
    """Return the expected calibration error: the count-weighted gap between confidence and accuracy per bin."""
    table = reliability(probabilities, labels, bins)
    total = sum(row["count"] for row in table)
    return float(sum(row["count"] * abs(row["confidence"] - row["accuracy"]) for row in table) / max(total, 1))
