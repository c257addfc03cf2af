"""The model card: everything a trained model's figures depend on, written as JSON beside the .h5."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

from digits.data import Digits, array_sha256
from digits.files import file_sha256
from digits.training.evaluation import architecture_summary, library_versions

HISTORY_COLUMNS = ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate")


def model_card(run, model, results: dict, serving: dict) -> dict:
    """Return the card of a finished run (a ``run.Run``): architecture, recipe, data, figures, versions."""
    config, recipe, history = run.config, run.profile.recipe, run.fitted.history
    return {
        "name": f"mnist_{config.model_name.replace('-', '_')}",
        "model": config.model_name,
        "file": run.model_file.name,
        "architecture": architecture_summary(model),
        "parameters": int(model.count_params()),
        "epochs_run": int(len(history)),
        "epochs_planned": run.epochs,
        "best_epoch": int(history["val_accuracy"].idxmax()) + 1,
        "batch_size": run.batch_size,
        "seed": config.seed,
        "learning_rate": recipe.learning_rate,
        "augmentation": dataclasses.asdict(recipe.augment) if recipe.augment else None,
        "finish": dataclasses.asdict(recipe.finish) if recipe.finish else None,
        "training_seconds": round(run.fitted.seconds, 1),
        "validation_accuracy": round(float(history["val_accuracy"].max()), 6),
        "test_accuracy": round(results["accuracy"], 6),
        "test_errors": results["errors"],
        "test_count": results["count"],
        # What the task measures besides: per class and the confusion matrix, or per length.
        **{key: value for key, value in results.items() if key not in ("accuracy", "errors", "count")},
        "data": {
            "train_csv": _csv_record(config.train_csv, run.data.train),
            "test_csv": _csv_record(config.test_csv, run.data.test),
            "validation_rows": int(len(run.data.validation_rows)),
            **run.data.described,
        },
        "history": {column: [round(float(value), 6) for value in history[column]]
                    for column in HISTORY_COLUMNS if column in history},
        "serving": serving,
        "versions": library_versions(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _csv_record(path: Path, digits: Digits) -> dict:
    return {"file": Path(path).name, "rows": len(digits), "sha256": file_sha256(path),
            "images_sha256": array_sha256(digits.images)}


def write_card(card: dict, path: Path) -> None:
    """Write the card as indented JSON."""
    Path(path).write_text(json.dumps(card, indent=2) + "\n")
