"""Size-matched diversity on real SPC text: equal samples agree, unequal raw corpora do not."""

import random

import pytest

from synthetic_persona_chat.eval.diversity import (DiversityConfig, distinct_of, lexical, mattr, size_matched,
                                                   token_sample)
from synthetic_persona_chat.eval.metrics import distinct_n
from synthetic_persona_chat.eval.quality import utterances


def _overlap(a, b):
    return a["ci"][0] <= b["ci"][1] and b["ci"][0] <= a["ci"][1]


@pytest.fixture(scope="module")
def halves(spc_test):
    convs = sorted(spc_test, key=lambda c: c.id)
    random.Random(7).shuffle(convs)
    half = len(convs) // 2
    return convs[:half], convs[half:]


def test_size_matching_makes_two_halves_of_spc_agree(halves):
    a, small = halves[0], halves[1][:40]  # a half of SPC test vs 40 conversations of the other half
    raw_a, raw_small = distinct_n(utterances(a), 1), distinct_n(utterances(small), 1)
    assert raw_small > 2 * raw_a  # unmatched, size alone makes the small corpus look far more "diverse"
    res = size_matched({"a": a, "b": halves[1], "small": small}, cfg=DiversityConfig(draws=10)).to_json()["lexical"]
    d = res["datasets"]
    assert res["tokens"] == int(0.5 * d["small"]["corpus_tokens"])
    for metric in ("distinct-1", "distinct-2", "vocabulary", "mattr"):
        assert _overlap(d["a"][metric], d["b"][metric]), (metric, d["a"][metric], d["b"][metric])
        assert _overlap(d["a"][metric], d["small"][metric]), (metric, d["a"][metric], d["small"][metric])
        assert d["a"][metric]["sd"] > 0 and d["small"][metric]["sd"] > 0


def test_matched_samples_are_seeded_and_exact_in_size(halves):
    convs = [[t.text.split() for t in c.turns] for c in halves[0][:30]]
    s1 = token_sample(convs, 500, random.Random("x"))
    s2 = token_sample(convs, 500, random.Random("x"))
    assert s1 == s2 and sum(len(u) for u in s1) == 500
    first = next(c for c in convs if c[0] == s1[0])  # whole conversations, in their own turn order
    assert s1[1:len(first)] == first[1:len(s1[:len(first)])]


def test_mattr_and_distinct_known_values():
    assert mattr(["a", "b", "a", "b"], window=2) == pytest.approx(1.0)
    assert mattr(["a", "a", "a", "b"], window=2) == pytest.approx((0.5 + 0.5 + 1.0) / 3)
    assert mattr(["a", "a"], window=50) == 0.5  # shorter than a window: plain TTR
    assert distinct_of([["a", "b"], ["b", "a"]], 2) == 1.0  # bigrams never cross utterances


def test_embedding_diversity_with_the_real_embedder(halves, minilm):
    res = size_matched({"a": halves[0][:60], "b": halves[1][:60], "repeated": [halves[0][0]] * 6},
                       embedder=minilm, cfg=DiversityConfig(draws=5, embed_pool=60)).to_json()["embedding"]
    d = res["datasets"]
    assert res["conversations_per_draw"] == 3
    assert d["repeated"]["embedding_diversity"]["mean"] == pytest.approx(0.0, abs=1e-5)
    assert 0.3 < d["a"]["embedding_diversity"]["mean"] < 1.0
    assert _overlap(d["a"]["embedding_diversity"], d["b"]["embedding_diversity"])


def test_small_matched_samples_are_flagged(halves):
    res = size_matched({"a": halves[0][:200], "tiny": halves[1][:3]}, cfg=DiversityConfig(draws=3)).to_json()["lexical"]
    assert res["tokens"] < 1000 and res["flags"] == [f"too few tokens: {res['tokens']}"]


def test_mattr_on_samples_shorter_than_its_window_is_flagged():
    corpora = {"x": [[["w1", "w2", "w3"]] for _ in range(20)], "y": [[["a"] * 5] for _ in range(10)]}
    res = lexical(corpora, DiversityConfig(draws=2)).to_json()
    assert res["tokens"] == 25 and "MATTR window 50 ≥ 25-token samples: MATTR = plain TTR" in res["flags"]
    assert res["datasets"]["y"]["mattr"]["mean"] == res["datasets"]["y"]["distinct-1"]["mean"] == 1 / 25
    for block in res["datasets"]["x"].values():  # ranges stay inside what the figure can be
        if isinstance(block, dict) and block["ci"][0] == block["ci"][0]:
            assert block["ci"][0] >= 0


def test_a_dataset_drawn_whole_every_time_is_flagged(halves, minilm):
    res = size_matched({"a": halves[0][:20], "two": halves[1][:2]}, embedder=minilm,
                       cfg=DiversityConfig(draws=3)).to_json()["embedding"]
    assert res["conversations_per_draw"] == 2
    assert res["datasets"]["two"]["embedding_diversity"]["sd"] == 0.0
    assert res["datasets"]["two"]["flags"] == ["every draw holds all 2 conversations: no spread between draws"]
    assert "flags" not in res["datasets"]["a"]
