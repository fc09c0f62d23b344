"""The Turing/AI-detection pairs: the same users' real conversation where the data has one, a recorded reason
where it does not. Real text: SPC test conversations as the human side; the synthetic side is SPC validation
dialogue put on those same user pairs (as a run on `generation.seed_pairs` writes it), or on its own pairs."""

import dataclasses
import random

import pytest

from synthetic_persona_chat.eval.detection import detection_test, make_pairs
from synthetic_persona_chat.eval.report import detection_markdown
from synthetic_persona_chat.eval.same_users import (NO_MATCH, NO_PERSONAS, REAL_ONE_SIDED, SAME_USERS, RealIndex,
                                                     pair_key)
from synthetic_persona_chat.records import Conversation


def on_pair(conv: Conversation, users: Conversation, iteration: int = 1) -> Conversation:
    """`conv`'s dialogue between `users`' two users, speakers swapped and the attributes re-cased: still the
    same pair."""
    return Conversation([a.upper().rstrip(".") for a in users.user2_persona], list(users.user1_persona),
                        conv.turns, source="run:test", iteration=iteration)


def test_the_pair_key_ignores_speaker_order_case_and_end_punctuation(sample_test):
    c = sample_test[0]
    assert pair_key(on_pair(sample_test[1], c)) == pair_key(c) != pair_key(sample_test[1])
    assert pair_key(Conversation([], ["I ski."], c.turns)) is None


def test_each_synthetic_conversation_gets_its_users_real_one_or_a_reason(sample_valid, sample_test):
    real = sample_test[:10]
    matched = [on_pair(sample_valid[i], real[i]) for i in range(6)]
    unmatched = sample_valid[20:24]
    pairs = make_pairs(real, matched + unmatched, seed=0)
    assert len(pairs) == 10
    for p in pairs:
        if p.synthetic in matched:
            assert p.reason == SAME_USERS and pair_key(p.real) == pair_key(p.synthetic)
        else:
            assert p.reason == NO_MATCH and p.real in real
    # under a limit the matched ones are drawn first
    limited = make_pairs(real, matched + unmatched, seed=0, limit=5)
    assert [p.reason for p in limited] == [SAME_USERS] * 5


def test_one_sided_real_personas_and_persona_less_synthetic_say_why(sample_valid, sample_test):
    one_sided = [dataclasses.replace(c, user1_persona=[]) for c in sample_test[:4]]  # a ParlAI self_original read
    index = RealIndex(one_sided)
    rng = random.Random(0)
    assert index.match(sample_test[0], rng).reason == REAL_ONE_SIDED
    bare = dataclasses.replace(sample_valid[0], user1_persona=[], user2_persona=[])
    assert RealIndex(sample_test[:4]).match(bare, rng).reason == NO_PERSONAS


def test_classifier_detection_keeps_matched_pairs_together_and_reports_the_pairing(sample_valid, sample_test):
    real = sample_test[:40]
    synthetic = [on_pair(sample_valid[i], real[i], iteration=1 + i % 2) for i in range(30)] + sample_valid[60:70]
    det = detection_test(real, synthetic, "classifier", seed=0)
    assert det["pairing"][SAME_USERS] > 0 and det["pairing"].get(NO_MATCH, 0) > 0
    assert sum(det["pairing"].values()) == det["pairs"]
    # every same-users group landed on the test side whole: matched synthetic test conversations all found
    # their real partner (none fell back for lack of one)
    assert det["pairing"][SAME_USERS] == sum(v["same_users"] for v in det["by_iteration"].values())
    md = detection_markdown({**det, "real": "real", "synthetic": "run"})
    assert f"{det['pairing'][SAME_USERS]} same users" in md and NO_MATCH in md


@pytest.mark.parametrize("seed", [0, 1])
def test_grouped_halves_never_split_a_user_pair(sample_valid, sample_test, seed):
    from synthetic_persona_chat.eval.detection import paired_halves

    real = sample_test[:20]
    synthetic = [on_pair(sample_valid[i], real[i]) for i in range(20)]
    (r_fit, r_test), (s_fit, s_test) = paired_halves(real, synthetic, seed)
    assert {pair_key(c) for c in r_test} == {pair_key(c) for c in s_test}
    assert not {pair_key(c) for c in r_fit} & {pair_key(c) for c in s_test}
    assert len(r_fit) == len(r_test) == 10
