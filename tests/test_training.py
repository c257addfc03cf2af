"""Model building, a short end-to-end training run, plots, reproducibility, and the shipped models."""

from __future__ import annotations

import json

import numpy as np
import pytest

from digits.config import card_path, model_path
from digits.data import read_csv, write_csv
from digits.training import (
    Finish,
    TrainingConfig,
    cosine_learning_rate,
    finishing_learning_rate,
    predict_probabilities,
    split_validation,
)
from tests.helpers import shipped_helper_models, shipped_models

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_validation_split_is_disjoint_and_seeded():
    train, validation = split_validation(1000, 100, seed=3)
    assert len(validation) == 100 and len(train) == 900
    assert not set(train) & set(validation)
    np.testing.assert_array_equal(validation, split_validation(1000, 100, seed=3)[1])


def test_learning_rate_decays_from_base():
    schedule = cosine_learning_rate(1e-3, 10)
    rates = [schedule(epoch) for epoch in range(10)]
    assert rates[0] == pytest.approx(1e-3)
    assert all(later < earlier for earlier, later in zip(rates, rates[1:], strict=False))
    assert rates[-1] == pytest.approx(2e-5)


def test_finishing_epochs_start_again_from_their_own_small_rate():
    finish = Finish(epochs=4, learning_rate=3e-4, drawn_share=0.5)
    schedule = finishing_learning_rate(1e-3, 10, finish)
    main = cosine_learning_rate(1e-3, 10)
    assert [schedule(epoch) for epoch in range(10)] == [main(epoch) for epoch in range(10)]
    tail = [schedule(epoch) for epoch in range(10, 14)]
    assert tail[0] == pytest.approx(3e-4)
    assert all(later < earlier for earlier, later in zip(tail, tail[1:], strict=False))
    assert finishing_learning_rate(1e-3, 10, None)(12) == main(12)


@pytest.fixture(scope="module")
def small_csvs(tmp_path_factory, mnist_csvs):
    """A 3,000-row training slice and a 1,000-row test slice of the real MNIST."""
    folder = tmp_path_factory.mktemp("csv")
    train = read_csv(mnist_csvs[0])
    test = read_csv(mnist_csvs[1])
    write_csv(folder / "train.csv", train.images[:3000], train.labels[:3000])
    write_csv(folder / "test.csv", test.images[:1000], test.labels[:1000])
    return folder / "train.csv", folder / "test.csv"


def short_run(small_csvs, out_dir, model_name="dense", seed=5, epochs=2):
    from digits.training import train

    config = TrainingConfig(model_name=model_name, train_csv=small_csvs[0], test_csv=small_csvs[1],
                            out_dir=out_dir, epochs=epochs, seed=seed, verbose=0)
    return train(config, log=lambda message: None)


@pytest.fixture(scope="module")
def trained(small_csvs, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("model")
    return out_dir, short_run(small_csvs, out_dir)


def test_short_training_writes_model_card_and_plots(trained):
    out_dir, card = trained
    assert model_path("dense", out_dir).exists()
    saved = json.loads(card_path("dense", out_dir).read_text())
    assert saved["test_count"] == 1000
    assert saved["test_accuracy"] > 0.8  # two epochs on 2,700 digits already read most
    for key in ("architecture", "parameters", "epochs_run", "seed", "training_seconds",
                "per_class_accuracy", "data", "versions"):
        assert key in saved
    assert saved["data"]["train_csv"]["rows"] == 3000
    assert set(saved["per_class_accuracy"]) == {str(d) for d in range(10)}
    assert not (out_dir / "checkpoints" / "dense").exists()  # a finished run leaves no resume state
    for relative in saved["plots"]:
        data = (out_dir / relative).read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000


def test_saved_model_reloads_and_predicts_exactly_as_before(trained, small_csvs):
    from digits.quiet import import_keras

    keras = import_keras()
    out_dir, card = trained
    test = read_csv(small_csvs[1])
    model = keras.models.load_model(model_path("dense", out_dir), compile=False)
    probabilities = predict_probabilities(model, test.images)
    predicted = probabilities.argmax(axis=1)
    assert (predicted == test.labels).mean() == pytest.approx(card["test_accuracy"], abs=1e-6)
    again = predict_probabilities(keras.models.load_model(model_path("dense", out_dir), compile=False),
                                  test.images)
    np.testing.assert_array_equal(probabilities, again)


@pytest.mark.slow
def test_same_seed_gives_the_same_model(trained, small_csvs, tmp_path):
    from digits.quiet import import_keras

    keras = import_keras()
    first_dir, first_card = trained
    second_card = short_run(small_csvs, tmp_path)
    assert second_card["test_accuracy"] == first_card["test_accuracy"]
    first = keras.models.load_model(model_path("dense", first_dir), compile=False)
    second = keras.models.load_model(model_path("dense", tmp_path), compile=False)
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cnn-small", "cnn"])
def test_convolutional_models_train_briefly(small_csvs, tmp_path, name):
    card = short_run(small_csvs, tmp_path, model_name=name, epochs=2)
    # Two short epochs: the training loss falls and the digits are read far above chance (10%)
    # once batch norm's running statistics settle, which takes the small CNN less time.
    assert card["history"]["loss"][1] < card["history"]["loss"][0]
    assert card["history"]["accuracy"][1] > 0.3
    if name == "cnn-small":
        assert card["test_accuracy"] > 0.5
    if name == "cnn":
        # Then the finishing epochs, on written and brush-drawn digits, from a small rate again.
        finish = card["finish"]
        assert card["epochs_run"] == 2 + finish["epochs"] and card["data"]["validation_drawn_too"]
        assert card["history"]["learning_rate"][2] == pytest.approx(finish["learning_rate"])
        assert card["history"]["loss"][-1] < card["history"]["loss"][0]
    assert model_path(name, tmp_path).exists()


def test_the_dense_model_is_shipped():
    assert "dense" in shipped_models()


@pytest.mark.slow
@pytest.mark.parametrize("name", shipped_helper_models())
def test_shipped_helper_model_figures_match_its_card(name, mnist_test):
    """The sequence reader and the mark checker measured again, as served, on their test sets."""
    from digits.inference import load_classifier, load_sequence_reader
    from digits.training import marks_task, sequence_task

    card = json.loads(card_path(name).read_text())
    if name == "sequence":
        strips, digits = sequence_task.test_strips(mnist_test, card["test_count"])
        read = [[digit.digit for digit in got] for got in load_sequence_reader().read(strips)]
        accuracy = float(np.mean([got == list(want) for got, want in zip(read, digits, strict=True)]))
    else:
        pictures, labels = marks_task.test_pictures(mnist_test)
        accuracy = float((load_classifier(name).probabilities(pictures).argmax(axis=1) == labels).mean())
        assert card["test_count"] == len(labels)
    assert abs(100 * accuracy - 100 * card["test_accuracy"]) <= 0.01


@pytest.mark.slow
@pytest.mark.parametrize("name", shipped_models())
def test_shipped_model_accuracy_matches_its_card(name, mnist_test):
    from digits.inference import load_classifier

    card = json.loads(card_path(name).read_text())
    classifier = load_classifier(name)
    predicted = classifier.probabilities(mnist_test.images.reshape(-1, 28, 28)).argmax(axis=1)
    accuracy = float((predicted == mnist_test.labels).mean())
    assert card["test_count"] == 10000
    assert abs(100 * accuracy - 100 * card["test_accuracy"]) <= 0.01
    assert card["data"]["test_csv"]["images_sha256"] == \
        "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161"


@pytest.mark.slow
def test_an_interrupted_run_resumes_where_it_stopped(small_csvs, tmp_path):
    from digits.quiet import import_keras
    from digits.training import train

    keras = import_keras()

    class StopAfterFirstEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                raise KeyboardInterrupt  # what Ctrl+C does mid-run

    config = TrainingConfig(model_name="dense", train_csv=small_csvs[0], test_csv=small_csvs[1],
                            out_dir=tmp_path, epochs=3, seed=5, verbose=0,
                            extra_callbacks=[StopAfterFirstEpoch()], plots=False)
    with pytest.raises(KeyboardInterrupt):
        train(config, log=lambda message: None)
    assert (tmp_path / "checkpoints" / "dense" / "backup").exists()
    messages = []
    config.extra_callbacks = []
    card = train(config, log=messages.append)
    assert any(message.startswith("resuming the interrupted run") for message in messages)
    assert card["epochs_run"] == 3 and card["history"]["loss"][2] < card["history"]["loss"][0]


def test_export_only_makes_the_serving_files_again_from_the_trained_h5(trained, small_csvs):
    from digits.runtimes.onnx import onnx_note_path, onnx_path
    from digits.training.run import export_trained

    out_dir, _card = trained
    h5 = model_path("dense", out_dir)
    onnx_path(h5).unlink()
    messages = []
    card = export_trained(TrainingConfig(model_name="dense", test_csv=small_csvs[1], out_dir=out_dir),
                          log=messages.append)
    assert onnx_path(h5).exists() and json.loads(onnx_note_path(h5).read_text())["checked_pictures"] == 1000
    assert card["serving"]["runtime"] == "onnx" and card["serving"]["checked_pictures"] == 1000
    assert json.loads(card_path("dense", out_dir).read_text())["serving"] == card["serving"]
    assert any("ONNX Runtime serves mnist_dense.h5" in message for message in messages)
    with pytest.raises(ValueError, match="train it first"):
        export_trained(TrainingConfig(model_name="cnn", test_csv=small_csvs[1], out_dir=out_dir))
