"""One training run, top to bottom: prepare the data, build, fit, evaluate, save the model and its card.

Like the keras-io examples, ``train`` reads as the list of its steps; each step is a short
function below it. What differs between model kinds (the data, the loss, the measure) is the
profile's task: ``digit_task`` (one digit per picture), ``sequence_task`` (a strip of digits) or
``marks_task`` (a digit or not).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from digits.config import card_path, model_path
from digits.data import Digits, read_csv
from digits.health import check_record
from digits.training.calibrating import calibration_record, write_reliability_diagram
from digits.training.card import model_card, write_card
from digits.training.digit_task import DigitTask
from digits.training.fitting import fit
from digits.training.marks_task import MarksTask
from digits.training.plan import Run, TrainingConfig, plan_run
from digits.training.sequence_task import SequenceTask

TASKS = {"digits": DigitTask(), "sequence": SequenceTask(), "marks": MarksTask()}


def train(config: TrainingConfig, log=print) -> dict:
    """Run one training as ``config`` says; return the model card (also written beside the .h5)."""
    run = plan_run(config)
    task = TASKS[run.profile.task]
    train_data, test_data = read_data(config)  # a bad CSV is reported before TensorFlow's slow start
    seed_everything(config.seed)
    run.data = task.prepare(run, train_data, test_data, log)
    model = run.profile.build()
    task.compile(model, run.profile.recipe)
    work_dir = Path(config.out_dir) / "checkpoints" / config.model_name
    Path(config.out_dir).mkdir(parents=True, exist_ok=True)
    run.fitted = fit(model, run.data.feeder, run.data.validation, run.profile.recipe, run.main_epochs,
                     work_dir, resume=config.resume, verbose=config.verbose,
                     extra_callbacks=config.extra_callbacks, log=log,
                     first_callbacks=tuple(task.first_callbacks(run.data)))
    # Evaluate on the test set, once, after model selection on the validation split.
    results, outputs = task.evaluate(model, run.data)
    card = save_outputs(run, task, model, results, outputs, log)
    shutil.rmtree(work_dir, ignore_errors=True)  # the run finished: its resume state is no longer needed
    return card


def read_data(config: TrainingConfig) -> tuple[Digits, Digits]:
    """Read the training and test CSVs, each maybe cut to its limit."""
    return (_limit(read_csv(config.train_csv), config.train_limit),
            _limit(read_csv(config.test_csv), config.test_limit))


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow and make TensorFlow's ops deterministic: same seed, same model."""
    from digits.quiet import import_keras

    keras = import_keras()
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def save_outputs(run: Run, task, model, results: dict, outputs, log) -> dict:
    """Save the .h5, the serving files made from it, the card (with its calibration) and the plots."""
    path = run.model_file
    model.save(path, include_optimizer=False)
    serving = export_for_serving(model, path, task.check_pictures(run.data), log)
    card = model_card(run, model, results, serving)
    card["check"] = check_record(lambda batch: model(batch, training=False), *task.check_set(run.data.test))
    calibrated = task.calibration(model, run.data, outputs)
    calibration, calibration_test = calibrated if calibrated is not None else (None, None)
    if calibration is not None:
        card["calibration"] = calibration
        log(f"calibrated: temperature {calibration['temperature']:.3f}, expected calibration error on the test set "
            f"{calibration['test_ece_before']:.2%} -> {calibration['test_ece_after']:.2%}")
    card_file = card_path(run.config.model_name, run.config.out_dir)
    write_card(card, card_file)
    if run.config.plots:
        reports = Path(run.config.out_dir) / "reports"
        written = task.plots(card["name"], run, results, outputs, reports)
        if calibration is not None:
            written.append(write_reliability_diagram(card["name"], calibration, calibration_test, reports))
        card["plots"] = [str(Path("reports") / written_path.name) for written_path in written]
        write_card(card, card_file)
    return card


def export_for_serving(model, path: Path, pictures: np.ndarray, log) -> dict:
    """Make the preferred derived runtime's file from the saved model, checked on ``pictures``."""
    from digits.runtimes import derived_runtimes

    reasons = []
    for runtime in derived_runtimes():
        try:
            runtime.from_model(model, path, pictures)
        except RuntimeError as error:
            log(f"{runtime.title} cannot serve {path.name}: {error}")
            reasons.append(f"{runtime.title}: {error}")
            continue
        note = runtime.export_note(path)
        log(f"{runtime.title} serves {path.name}: largest probability difference "
            f"{note['largest_difference']:.1e} on {note['checked_pictures']} test pictures")
        return note
    log(f"the server will run {path.name} with TensorFlow")
    return {"runtime": "tensorflow", "reason": "; ".join(reasons)}


def export_trained(config: TrainingConfig, log=print) -> dict:
    """Make a trained model's serving files again from its .h5, checked on its test set; update its card."""
    path = model_path(config.model_name, config.out_dir)
    card_file = card_path(config.model_name, config.out_dir)
    if not path.exists() or not card_file.exists():
        raise ValueError(f"no trained model {path.name} with its card; train it first: "
                         f"python trainer.py --model {config.model_name}")
    run = plan_run(config)
    task = TASKS[run.profile.task]
    test_data = _limit(read_csv(config.test_csv), config.test_limit)
    from digits.quiet import import_keras

    model = import_keras().models.load_model(path, compile=False)
    card = json.loads(card_file.read_text())
    card["serving"] = export_for_serving(model, path, task.check_pictures_for_test(test_data), log)
    card["check"] = check_record(lambda batch: model(batch, training=False), *task.check_set(test_data))
    write_card(card, card_file)
    return card


def calibrate_trained(config: TrainingConfig, log=print) -> dict:
    """Fit a trained digit model's calibration again on its validation digits; update its card and diagram."""
    from digits.augment import brush_drawn
    from digits.inference import load_classifier
    from digits.training.plan import validation_rows_of

    run = plan_run(config)
    card_file = card_path(config.model_name, config.out_dir)
    if run.profile.task != "digits" or not card_file.exists():
        raise ValueError(f"only a trained digit model can be calibrated; train it first: "
                         f"python trainer.py --model {config.model_name}")
    train_data, test_data = read_data(config)
    _train_rows, rows = validation_rows_of(run, train_data)
    pictures, labels = train_data.images[rows].reshape(-1, 28, 28), train_data.labels[rows]
    if run.profile.recipe.finish:  # the same brush-drawn copies the run chose its best epoch on
        drawn = np.stack([brush_drawn(train_data.images[row], np.random.default_rng([config.seed, 7, int(row)]))
                          for row in rows])
        pictures, labels = np.concatenate([pictures, drawn]), np.concatenate([labels, labels])
    classifier = load_classifier(config.model_name, config.out_dir)
    test_probabilities = classifier.raw_probabilities(test_data.images.reshape(-1, 28, 28), max_batch=512)
    described = " and their brush-drawn copies" if run.profile.recipe.finish else ""
    record = calibration_record((classifier.raw_probabilities(pictures, max_batch=512), labels),
                                (test_probabilities, test_data.labels),
                                f"{len(rows)} validation digits{described} (never trained on)")
    card = json.loads(card_file.read_text())
    card["calibration"] = record
    if config.plots:
        written = write_reliability_diagram(card["name"], record, (test_probabilities, test_data.labels),
                                            Path(config.out_dir) / "reports")
        card["plots"] = sorted({*card.get("plots", []), str(Path("reports") / written.name)})
    write_card(card, card_file)
    log(f"calibrated {card['name']}: temperature {record['temperature']:.3f}, expected calibration error on "
        f"the test set {record['test_ece_before']:.2%} -> {record['test_ece_after']:.2%}")
    return card


def _limit(data: Digits, limit: int | None) -> Digits:
    if limit is None or limit >= len(data):
        return data
    return Digits(images=data.images[:limit], labels=data.labels[:limit])
