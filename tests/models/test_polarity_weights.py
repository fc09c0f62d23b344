"""The minilm-polarity weights file read as `PolarityWeights`: the shipped file reads back as itself."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from synthetic_persona_chat.models.contradiction_polarity import WEIGHTS_FILE, PolarityWeights, load_weights
from synthetic_persona_chat.models.nli_features import FEATURE_NAMES


def shipped() -> dict:
    return json.loads((resources.files("synthetic_persona_chat.models") / WEIGHTS_FILE).read_text(encoding="utf-8"))


def test_the_shipped_weights_read_back_as_written():
    weights = load_weights()
    assert weights.to_json() == shipped() and list(weights.to_json()) == list(shipped())
    assert tuple(weights.features) == FEATURE_NAMES and len(weights.coef) == len(FEATURE_NAMES)
    assert weights.training["pairs"] > 0


def test_weights_of_other_features_or_not_an_object_are_refused(tmp_path):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**shipped(), "features": ["cosine"]}), encoding="utf-8")
    with pytest.raises(ValueError, match="were trained on features \\['cosine'\\]"):
        load_weights(other)
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="were trained on features list"):
        load_weights(listed)


def test_a_file_without_coefficients_names_the_missing_key(tmp_path):
    partial = {k: v for k, v in shipped().items() if k != "coef"}
    with pytest.raises(ValueError, match="PolarityWeights: the JSON object lacks coef"):
        PolarityWeights.from_json(partial)
