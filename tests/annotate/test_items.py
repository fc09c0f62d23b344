"""Item sampling and assignment on real conversations: balanced, recorded, deterministic."""

import dataclasses
from collections import Counter

import pytest

from synthetic_persona_chat.annotate.config import StudyConfig
from synthetic_persona_chat.annotate.items import assign, build_items
from synthetic_persona_chat.config import ConfigError
from synthetic_persona_chat.eval.data import load_dataset


@pytest.fixture(scope="module")
def data():
    real = load_dataset("spc-sample:test", "test").conversations
    synth = load_dataset("spc-sample:valid", "valid").conversations[:60]
    for i, c in enumerate(synth):
        c.iteration = i % 3 + 1
    return real, {"run": synth}


def config(**kw):
    base = dict(synthetic={"run": "x"}, annotators=4, items_per_annotator=18, overlap=2, seed=3)
    return StudyConfig(**{**base, **kw}).validate()


def test_pairs_are_balanced_over_iterations_and_sides(data):
    items = build_items(config(), *data)  # 36 items: 12 per task
    for task in ("turing", "quality"):
        pairs = [i for i in items if i.task == task]
        assert Counter(i.iteration for i in pairs) == {1: 4, 2: 4, 3: 4}
        assert Counter(i.synthetic_side for i in pairs) == {"left": 6, "right": 6}
        for it in pairs:  # the recorded side really holds the synthetic conversation
            side = 0 if it.synthetic_side == "left" else 1
            assert it.conversations[side]["iteration"] == it.iteration
            assert it.conversations[1 - side]["iteration"] is None
    faith = [i for i in items if i.task == "faithfulness"]
    assert Counter(i.dataset for i in faith) == {"real": 3, "run": 9}
    assert all(i.speaker in ("user 1", "user 2") for i in faith)


def test_same_seed_same_items_other_seed_other_items(data):
    ids = [i.id for i in build_items(config(), *data)]
    assert ids == [i.id for i in build_items(config(), *data)]
    assert len(set(ids)) == len(ids)
    assert ids != [i.id for i in build_items(config(seed=4), *data)]


def test_every_item_gets_overlap_distinct_judges_and_loads_are_equal(data):
    cfg = config()
    items = build_items(cfg, *data)
    queues = assign(items, cfg)
    assert all(len(q) == cfg.items_per_annotator and len(set(q)) == len(q) for q in queues.values())
    judges = Counter(item_id for q in queues.values() for item_id in q)
    assert set(judges.values()) == {cfg.overlap} and len(judges) == len(items)


@pytest.mark.parametrize("kw, message", [
    (dict(overlap=5), "overlap 5 > annotators 4"),
    (dict(items_per_annotator=3, overlap=3, annotators=3), None),
    (dict(annotators=3, items_per_annotator=5, overlap=2), "multiple of overlap"),
    (dict(tasks=("turing", "rating")), "choose one or more"),
    (dict(show=("answer",)), "unknown metadata"),
    (dict(synthetic={}), "synthetic is empty"),
])
def test_config_refuses_designs_that_cannot_run(kw, message):
    if message is None:
        assert config(**kw).total_items == 3
        return
    with pytest.raises(ConfigError, match=message):
        config(**kw)


def test_a_quality_pair_shows_both_conversations_at_the_same_length(data):
    """#26.11: a 31-turn SPC conversation beside a 4-turn generated one gave the answer away by length."""
    real, synth = data
    short = {"run": [dataclasses.replace(c, turns=c.turns[:4]) for c in synth["run"]]}  # the fixture unchanged
    items = build_items(config(), real, short)
    quality = [i for i in items if i.task == "quality"]
    assert quality and all(len(i.conversations[0]["turns"]) == len(i.conversations[1]["turns"]) == 4
                           for i in quality)
    turing = [i for i in items if i.task == "turing"]  # the Turing task keeps whole conversations
    assert any(len(i.conversations[0]["turns"]) != len(i.conversations[1]["turns"]) for i in turing)
