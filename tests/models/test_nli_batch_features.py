"""The batched features are the reference features, value for value, on real SPC pairs and real MiniLM."""

import numpy as np
import pytest

from synthetic_persona_chat.models.nli_batch_features import batch_pair_features
from synthetic_persona_chat.models.nli_features import FEATURE_NAMES, pair_features
from synthetic_persona_chat.readers import read_spc_csv
from synthetic_persona_chat.sample_data import resolve_path


def spc_pairs(n_conversations: int) -> list[tuple[str, str]]:
    """Utterance x own-attribute pairs of packaged SPC conversations, as the faithfulness expert makes them."""
    convs, _ = read_spc_csv(resolve_path("spc-sample:test"))
    return [(a, t.text) for c in convs[:n_conversations] for t in c.turns
            for a in (c.user1_persona if t.speaker == "user 1" else c.user2_persona)]


def test_batch_features_equal_reference_on_real_pairs(minilm):
    pairs = spc_pairs(12)
    pairs += [("I have two dogs.", "I don't have any pets."), ("I am fifty years old.", "I turned thirty today!"),
              ("I love hiking.", "I can't stand hiking, only swimming."), ("I have two dogs.", "What's your job?")]
    premises, hypotheses = [p for p, _ in pairs], [h for _, h in pairs]
    assert len(set(premises)) < len(premises) and len(set(hypotheses)) < len(hypotheses)  # repeats, as in a batch
    ref = pair_features(premises, hypotheses, minilm.encode)
    got = batch_pair_features(premises, hypotheses, minilm.encode)
    assert got.dtype == np.float32 and got.shape == (len(pairs), len(FEATURE_NAMES))
    assert np.array_equal(got, ref)
    assert got[:, FEATURE_NAMES.index("polarity_mismatch")].any() and got[:, FEATURE_NAMES.index("question")].any()


def test_each_distinct_sentence_and_negation_is_embedded_once():
    seen: list[list[str]] = []

    def embed(texts):
        seen.append(list(texts))
        v = np.stack([np.random.default_rng(list(t.encode())).normal(size=8) for t in texts]).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)  # one fixed vector per text

    premises = ["I have a cat.", "I like jazz."] * 3
    hypotheses = ["My cat sleeps.", "My cat sleeps.", "Jazz is fun.", "Jazz is fun.", "Hi!", "Hi!"]
    x = batch_pair_features(premises, hypotheses, embed)
    assert len(seen) == 1 and len(set(seen[0])) == len(seen[0]) and len(seen[0]) == 2 + 3 + 2  # distinct premises, hypotheses, negated premises
    assert np.array_equal(x, pair_features(premises, hypotheses, embed))


def test_empty_and_mismatched_batches():
    assert batch_pair_features([], [], lambda t: np.zeros((0, 4))).shape == (0, len(FEATURE_NAMES))
    with pytest.raises(ValueError, match="2 premises but 1 hypotheses"):
        batch_pair_features(["a", "b"], ["c"], lambda t: np.zeros((len(t), 4)))
