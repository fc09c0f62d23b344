"""A text's vector is a function of the text alone, whatever it is encoded with (models/stable_batches.py).

Regression: the bundled MiniLM gave a text a vector that moved (by ~1e-7) with the padding and size of
the batch it was encoded in, and the caches kept whichever came first, so a run's faithfulness scores
depended on the order its batches finished in.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from synthetic_persona_chat.models.stable_batches import encode_stably, same_length_batches
from tests import strategies  # noqa: F401  (the hypothesis profile: bounded examples, no deadline)

SENTENCES = ("I like to go hiking with my dogs.", "hi", "My favourite band plays jazz on weekends in the park.",
             "I am a nurse.", "I have two cats and a very old parrot that talks all day long about nothing.",
             "What do you do?", "I live in Paris.", "I bake bread every morning before work.")


@given(st.lists(st.integers(1, 9), max_size=30), st.integers(1, 5))
def test_batches_hold_one_length_and_every_index_once(lengths, size):
    batches = same_length_batches(lengths, size)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(len({lengths[i] for i in b}) == 1 and len(b) <= max(2, size) for b in batches)


def test_a_single_text_is_encoded_as_a_batch_of_two():
    seen = []
    out = encode_stably(["a"], [1], 8, lambda batch: seen.append(batch) or np.ones((len(batch), 3)))
    assert seen == [["a", "a"]] and out.shape == (1, 3)


@settings(max_examples=6)
@given(st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=6), st.sampled_from(SENTENCES))
def test_minilm_vector_does_not_depend_on_its_batch(minilm, company, text):
    alone = minilm.encode([text])[0]
    mixed = minilm.encode([*company, text])[-1]
    assert np.array_equal(alone, mixed)


def test_checker_scores_do_not_depend_on_what_it_scored_before(tmp_path):
    """The checker's vector cache keeps a text's first vector: with a fresh cache each, one checker that met
    the attribute first as the only new text of a call (a batch of one) and one that meets it beside the
    utterances must score the pairs the same (before the fix: 0.0351579 vs 0.0351578)."""
    from synthetic_persona_chat.models.contradiction_polarity import PolarityNLI

    attribute = "I like to go hiking with my dogs."
    utterances = ["Hi! Do you like dogs?", "I hate hiking, it is so boring and I never go outside at all anymore."]
    seen_before = PolarityNLI(cache_path=tmp_path / "a.sqlite", precision="fp32")
    seen_before.scores([attribute], [attribute])  # the attribute alone: the only new text of that call
    fresh = PolarityNLI(cache_path=tmp_path / "b.sqlite", precision="fp32")
    pairs = ([attribute] * len(utterances), utterances)
    assert seen_before.scores(*pairs).tolist() == fresh.scores(*pairs).tolist()
