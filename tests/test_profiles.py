"""The model registry: every profile is offered by the trainer, the server and predict.py, and ranked."""

from __future__ import annotations

import json

import pytest

from digits.cli import predict, serve, train
from digits.config import card_path, model_path
from digits.inference import available_models
from digits.profiles import DIGIT_MODEL_NAMES, MARKS_MODEL, MODEL_NAMES, PROFILES, SEQUENCE_MODEL, profile_named


def choices_of(parser, option: str) -> list[str]:
    return next(list(action.choices) for action in parser._actions if option in action.option_strings)


def test_the_trainer_offers_every_registered_model_and_the_readers_every_digit_model():
    assert choices_of(train.build_parser(), "--model") == list(MODEL_NAMES)
    for cli in (serve, predict):
        assert choices_of(cli.build_parser(), "--model") == list(DIGIT_MODEL_NAMES)
    assert set(MODEL_NAMES) == set(DIGIT_MODEL_NAMES) | {SEQUENCE_MODEL, MARKS_MODEL}
    assert PROFILES[SEQUENCE_MODEL].task == "sequence" and PROFILES[MARKS_MODEL].task == "marks"


def test_every_profile_has_a_builder_and_a_sensible_recipe():
    for name, profile in PROFILES.items():
        assert profile.name == name and callable(profile.build) and profile.summary
        assert profile.recipe.epochs >= 1 and profile.recipe.batch_size >= 1 and profile.recipe.learning_rate > 0


def test_an_unknown_profile_names_the_choices():
    with pytest.raises(ValueError, match="choose one of cnn, cnn-small, dense"):
        profile_named("resnet")


def test_models_are_served_most_accurate_first_then_in_registry_order(tmp_path):
    for name, accuracy in (("dense", 0.99), ("cnn-small", 0.995), ("cnn", 0.99)):
        model_path(name, tmp_path).write_bytes(b"")
        card_path(name, tmp_path).write_text(json.dumps({"test_accuracy": accuracy}))
    assert available_models(tmp_path) == ["cnn-small", "cnn", "dense"]
    card_path("cnn", tmp_path).write_text("not json")  # a damaged card ranks last, the model still counts
    assert available_models(tmp_path) == ["cnn-small", "dense", "cnn"]
