"""The builders: each profile's network has the right shape, and unknown names are refused."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("name, convolutional", [("dense", False), ("cnn", True), ("cnn-small", True)])
def test_models_build_with_the_expected_shape(name, convolutional):
    from digits.profiles import build_model

    model = build_model(name)
    assert model.input_shape == (None, 28, 28, 1)
    assert model.output_shape == (None, 10)
    kinds = {layer.__class__.__name__ for layer in model.layers}
    assert ("Conv2D" in kinds) == convolutional
    probabilities = np.asarray(model(np.zeros((2, 28, 28, 1), np.float32), training=False))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_unknown_model_is_a_value_error():
    from digits.profiles import build_model

    with pytest.raises(ValueError, match="unknown model 'resnet'"):
        build_model("resnet")
