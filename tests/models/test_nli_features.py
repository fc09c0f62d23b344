"""The polarity/number rules, the synthetic training pairs and the fit behind `minilm-polarity`."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from synthetic_persona_chat.models.nli_features import (FEATURE_NAMES, is_negative, negate, numbers,
                                                        pair_features)
from synthetic_persona_chat.models.nli_training import (fit, make_pairs, speakers_of, swap_antonym,
                                                        swap_number)
from synthetic_persona_chat.readers.spc_csv import read_spc_csv
from synthetic_persona_chat.sample_data import resolve_path, sample_path

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "nli_features_golden.json"


def spc_pairs(n_conversations: int) -> list[tuple[str, str]]:
    """Utterance x own-attribute pairs of packaged SPC conversations, as the faithfulness expert makes them."""
    convs, _ = read_spc_csv(resolve_path("spc-sample:test"))
    return [(a, t.text) for c in convs[:n_conversations] for t in c.turns
            for a in (c.user1_persona if t.speaker == "user 1" else c.user2_persona)]


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


def test_features_equal_the_hand_computed_golden_file():
    """Each pair's features as worked out by hand from the rules (the file says why, pair by pair); the
    toy vectors make every cosine exact, and a text missing from them (a wrong negation) is a KeyError."""
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))

    def embed(texts):
        return np.array([golden["vectors"][t] for t in texts], dtype=np.float32)

    pairs = golden["pairs"]
    got = pair_features([p["premise"] for p in pairs], [p["hypothesis"] for p in pairs], embed)
    expected = np.array([[p["features"][name] for name in FEATURE_NAMES] for p in pairs], dtype=np.float32)
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_each_distinct_sentence_and_negation_is_embedded_once():
    seen: list[list[str]] = []

    def embed(texts):
        seen.append(list(texts))
        v = np.stack([np.random.default_rng(list(t.encode())).normal(size=8) for t in texts]).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)  # one fixed vector per text

    premises = ["I have a cat.", "I like jazz."] * 3
    hypotheses = ["My cat sleeps.", "My cat sleeps.", "Jazz is fun.", "Jazz is fun.", "Hi!", "Hi!"]
    x = pair_features(premises, hypotheses, embed)
    assert len(seen) == 1 and len(set(seen[0])) == len(seen[0]) and len(seen[0]) == 2 + 3 + 2  # distinct premises, hypotheses, negated premises
    assert x.shape == (6, len(FEATURE_NAMES))
    for k in range(6):  # each row is its own pair's features, as if computed alone
        np.testing.assert_allclose(x[k], pair_features([premises[k]], [hypotheses[k]], embed)[0], atol=1e-6)


def test_real_spc_pairs_keep_their_rows_when_sentences_repeat(minilm):
    """On real pairs with repeated sentences (as in a batch), each row is the features of its own pair alone."""
    pairs = spc_pairs(12)
    premises, hypotheses = [p for p, _ in pairs], [h for _, h in pairs]
    assert len(set(premises)) < len(premises) and len(set(hypotheses)) < len(hypotheses)
    batch = pair_features(premises, hypotheses, minilm.encode)
    for k in (0, len(pairs) // 2, len(pairs) - 1):
        np.testing.assert_allclose(batch[k], pair_features([premises[k]], [hypotheses[k]], minilm.encode)[0], atol=1e-5)


def test_empty_and_mismatched_batches():
    assert pair_features([], [], lambda t: np.zeros((0, 4))).shape == (0, len(FEATURE_NAMES))
    with pytest.raises(ValueError, match="2 premises but 1 hypotheses"):
        pair_features(["a", "b"], ["c"], lambda t: np.zeros((len(t), 4)))


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


@pytest.mark.parametrize("text, negative", [
    ("I cannot wait to get my first full time job as a nurse.", False),  # eager, not a denial (SPC false alarm)
    ("I can't wait to see my mom!", False),
    ("I am a single mom of two boys.", False),  # a parent, not "single" as in alone
    ("I am single.", True), ("I cannot swim.", True),
    ("No, I don't like animals.", True), ("No, I'm from South Carolina.", False),  # "No," answers a question
    ("Oh. No, I have no pets.", True), ("I have no pets.", True),
    ("I wish I wasn't afraid of dogs.", True), ("I wish I did not smoke.", False)])  # a wish is counterfactual
def test_idioms_that_only_look_negative(text, negative):
    assert is_negative(text) is negative
