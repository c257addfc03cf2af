"""Pictures of a training run a person can read at a glance: curves, confusion matrix, misses."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed; must precede pyplot

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from digits.config import NUM_CLASSES  # noqa: E402


def plot_learning_curves(history, title: str, path: Path, finish_from: int | None = None) -> Path:
    """Write loss and accuracy per epoch, training against validation, as a PNG.

    ``finish_from``: the first finishing epoch (0-based), whose part of the run is shaded.
    """
    epochs = np.arange(1, len(history) + 1)
    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    loss_axes.plot(epochs, history["loss"], "o-", label="training", color="#1f77b4")
    loss_axes.plot(epochs, history["val_loss"], "o-", label="validation", color="#d62728")
    loss_axes.set(title="Loss (lower is better)", xlabel="epoch", ylabel="cross-entropy")
    accuracy_axes.plot(epochs, 100 * history["accuracy"], "o-", label="training", color="#1f77b4")
    accuracy_axes.plot(epochs, 100 * history["val_accuracy"], "o-", label="validation",
                       color="#d62728")
    best = int(np.argmax(history["val_accuracy"]))
    accuracy_axes.annotate(f"best {100 * history['val_accuracy'].iloc[best]:.2f}%",
                           (epochs[best], 100 * history["val_accuracy"].iloc[best]),
                           textcoords="offset points", xytext=(0, -18), ha="center", color="#d62728")
    accuracy_axes.set(title="Accuracy (higher is better)", xlabel="epoch", ylabel="accuracy (%)")
    # The first epoch is often far below the rest (batch norm settling); keep the scale for the
    # epochs that matter and let that one point fall off the chart.
    settled = slice(1, None) if len(history) >= 3 else slice(None)
    low = min(100 * np.min(history["val_accuracy"][settled]), 100 * np.min(history["accuracy"][settled]))
    accuracy_axes.set_ylim(max(low - 0.5, 0), 100.1)
    high = max(np.max(history["val_loss"][settled]), np.max(history["loss"][settled]))
    loss_axes.set_ylim(0, high * 1.1)
    for axes in (loss_axes, accuracy_axes):
        if finish_from is not None and finish_from < len(history):
            axes.axvspan(finish_from + 0.5, len(history) + 0.5, color="#2ca02c", alpha=0.12,
                         label="finish: brush-drawn digits mixed in")
        axes.grid(alpha=0.3)
        axes.legend()
        axes.xaxis.get_major_locator().set_params(integer=True)
    figure.suptitle(f"{title}: learning curves", fontsize=13)
    return _save(figure, path)


def plot_confusion_matrix(confusion: np.ndarray, title: str, path: Path) -> Path:
    """Write the 10x10 confusion matrix (rows: true digit, columns: what the model read) as a PNG."""
    confusion = np.asarray(confusion)
    figure, axes = plt.subplots(figsize=(7.2, 6.2), dpi=110)
    off_diagonal = confusion.copy()
    np.fill_diagonal(off_diagonal, 0)
    # Colour only the mistakes, so the few that matter stand out against the large diagonal.
    image = axes.imshow(off_diagonal, cmap="Reds", vmin=0, vmax=max(off_diagonal.max(), 1))
    for true_digit in range(NUM_CLASSES):
        for read_digit in range(NUM_CLASSES):
            count = confusion[true_digit, read_digit]
            if count == 0 and true_digit != read_digit:
                continue
            strong = true_digit != read_digit and count > 0.6 * off_diagonal.max()
            axes.text(read_digit, true_digit, str(count), ha="center", va="center", fontsize=8,
                      color="white" if strong else ("#555" if true_digit == read_digit else "black"),
                      fontweight="bold" if true_digit != read_digit else "normal")
    axes.set_xticks(range(NUM_CLASSES))
    axes.set_yticks(range(NUM_CLASSES))
    axes.set(xlabel="digit the model read", ylabel="true digit")
    errors = int(confusion.sum() - np.trace(confusion))
    axes.set_title(f"{title}: confusion matrix ({errors} errors of {int(confusion.sum())})")
    figure.colorbar(image, ax=axes, label="number of mistakes")
    return _save(figure, path)


def plot_misses(images: np.ndarray, labels: np.ndarray, probabilities: np.ndarray, title: str,
                path: Path, limit: int = 48) -> Path:
    """Write a grid of misread pictures, each labelled 'true → read (confidence)', as a PNG."""
    predicted = probabilities.argmax(axis=1)
    misses = np.flatnonzero(predicted != labels)
    # The most confident mistakes first: they are the most instructive.
    misses = misses[np.argsort(-probabilities[misses, predicted[misses]])][:limit]
    columns = 8
    rows = max(1, int(np.ceil(len(misses) / columns)))
    figure, grid = plt.subplots(rows, columns, figsize=(columns * 1.35, rows * 1.55 + 0.6), dpi=110)
    for axes in np.atleast_1d(grid).ravel():
        axes.axis("off")
    for axes, index in zip(np.atleast_1d(grid).ravel(), misses, strict=False):
        axes.imshow(np.asarray(images[index]).reshape(28, 28), cmap="gray_r", vmin=0, vmax=255)
        confidence = probabilities[index, predicted[index]]
        axes.set_title(f"{labels[index]}→{predicted[index]} ({confidence:.0%})", fontsize=9,
                       color="#b00")
    shown = f"{len(misses)} most confident" if len(misses) == limit else f"all {len(misses)}"
    figure.suptitle(f"{title}: misread test digits, true→read ({shown})", fontsize=12)
    return _save(figure, path)


def plot_reliability(before: list[dict], after: list[dict], title: str, path: Path,
                     ece: tuple[float, float]) -> Path:
    """Write a reliability diagram: per confidence bin, how often the model was right, before and after calibration."""
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.6), dpi=110, sharey=True)
    for panel, table, name, error in ((axes[0], before, "as trained", ece[0]), (axes[1], after, "calibrated", ece[1])):
        panel.plot([0, 100], [0, 100], "--", color="#888", label="confidence = accuracy")
        lows = [100 * row["low"] for row in table]
        widths = [100 * (row["high"] - row["low"]) for row in table]
        panel.bar(lows, [100 * row["accuracy"] for row in table], width=widths, align="edge", color="#b9c6e6",
                  edgecolor="#2357d9", label="accuracy in the bin")
        # A red mark above its bar: the model was surer than right; below: less sure than right.
        panel.plot([low + width / 2 for low, width in zip(lows, widths, strict=True)],
                   [100 * row["confidence"] for row in table], "_", markersize=14, markeredgewidth=2.5,
                   color="#d62728", label="mean confidence in the bin")
        for row, low, width in zip(table, lows, widths, strict=True):
            panel.text(low + width / 2, 2, str(row["count"]), ha="center", fontsize=6, rotation=90, color="#333")
        panel.set(title=f"{name}: expected calibration error {100 * error:.2f}%", xlabel="confidence (%)",
                  xlim=(0, 100), ylim=(0, 101))
        panel.grid(alpha=0.3)
    axes[0].set_ylabel("accuracy (%)")
    axes[1].legend(loc="upper left", fontsize=8)
    figure.suptitle(f"{title}: reliability on the test set (counts per bin at the bottom)", fontsize=12)
    return _save(figure, path)


def write_all(name: str, history, results: dict, test_data, probabilities: np.ndarray,
              out_dir: Path, finish_from: int | None = None) -> list[Path]:
    """Write the three plots of a run under ``out_dir`` and return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        plot_learning_curves(history, name, out_dir / f"{name}_learning_curves.png", finish_from),
        plot_confusion_matrix(np.array(results["confusion_matrix"]), name,
                              out_dir / f"{name}_confusion_matrix.png"),
        plot_misses(test_data.images, test_data.labels, probabilities, name,
                    out_dir / f"{name}_misses.png"),
    ]


def _save(figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return Path(path)
