"""The polarity/number rules, the synthetic training pairs and the fit behind `minilm-polarity`."""

from __future__ import annotations

import random

import numpy as np

from synthetic_persona_chat.models.nli_features import (FEATURE_NAMES, is_negative, negate, numbers,
                                                        pair_features)
from synthetic_persona_chat.models.nli_training import (fit, make_pairs, speakers_of, swap_antonym,
                                                        swap_number)
from synthetic_persona_chat.readers.spc_csv import read_spc_csv
from synthetic_persona_chat.sample_data import sample_path


def test_polarity_counts_negators_and_negative_words():
    assert not is_negative("I have two dogs.")
    assert is_negative("I don't have any pets.") and is_negative("I never eat meat.")
    assert is_negative("I can't stand reading.") and is_negative("I hate hiking.")
    assert not is_negative("I don't hate it.")  # two flips
    assert not is_negative("I never miss a game.")  # an idiom, not a negation


def test_numbers_in_digits_and_words():
    assert numbers("I am fifty years old.") == {50}
    assert numbers("I have 3 kids and two cats.") == {3, 2}
    assert numbers("Both of my dogs bark.") == {2}
    assert numbers("I like pizza.") == set()


def test_negate_and_flips():
    assert negate("I am a nurse.") == "I am not a nurse."
    assert negate("I have two dogs.") == "I do not have two dogs."
    assert negate("My sister is a doctor.") == "My sister is not a doctor."
    assert is_negative(negate("I love to read.")) and not is_negative(negate("I don't read."))
    assert swap_antonym("I love hiking.") == "I hate hiking." and swap_antonym("I am a nurse.") is None
    flipped = swap_number("I have four brothers.", random.Random(0))
    assert flipped and numbers(flipped) and numbers(flipped) != {4}


def test_features_separate_a_negation_from_a_restatement(minilm):
    x = pair_features(["I have two dogs.", "I have two dogs.", "I have two dogs."],
                      ["I don't have any pets.", "My two dogs wake me up every morning.", "What's your job?"],
                      minilm.encode)
    f = dict(zip(FEATURE_NAMES, x.T))
    assert x.shape == (3, len(FEATURE_NAMES)) and x.dtype == np.float32
    assert f["polarity_mismatch"].tolist() == [1, 0, 0] and f["question"].tolist() == [0, 0, 1]
    assert f["cosine"][1] > f["cosine"][2]
    assert pair_features([], [], minilm.encode).shape == (0, len(FEATURE_NAMES))


def test_training_pairs_from_real_spc_and_fit(minilm):
    """Rule-made pairs from 20 packaged SPC conversations; the fit learns that a mismatch contradicts."""
    conversations = read_spc_csv(sample_path("valid"))[0][:20]
    pairs = make_pairs(speakers_of(conversations), minilm.encode, seed=0)
    assert pairs == make_pairs(speakers_of(conversations), minilm.encode, seed=0)  # seeded
    kinds = {p.kind for p in pairs}
    assert {"unrelated", "negated attribute", "restatement", "negated restatement", "both negated"} <= kinds
    assert 0.3 < np.mean([p.label for p in pairs]) < 0.7
    weights = fit(pairs, minilm.encode, seed=0)
    assert weights["features"] == list(FEATURE_NAMES) and weights["training"]["pairs"] == len(pairs)
    coef = dict(zip(FEATURE_NAMES, weights["coef"]))
    assert coef["mismatch_x_cosine"] > 0 and weights["training"]["train_accuracy"] > 0.8
