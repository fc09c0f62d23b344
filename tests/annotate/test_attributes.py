"""The paper's eight-option faithfulness question and the same-users Turing pairs, on real SPC conversations:
options and their recorded kinds, the store's validation of picks, precision/recall from scripted answers."""

import dataclasses
import random
from collections import Counter

import pytest

from synthetic_persona_chat.annotate import attributes
from synthetic_persona_chat.annotate.app import conversation_html, picks
from synthetic_persona_chat.annotate.commands import create_study
from synthetic_persona_chat.annotate.config import StudyConfig
from synthetic_persona_chat.annotate.items import build_items, questions
from synthetic_persona_chat.annotate.results import compute, judgements
from synthetic_persona_chat.annotate.store import STUDY_DB, Refused, StudyStore
from synthetic_persona_chat.eval.data import load_dataset
from synthetic_persona_chat.eval.human_report import markdown
from synthetic_persona_chat.eval.same_users import NO_MATCH, SAME_USERS, pair_key
from synthetic_persona_chat.models.nli_features import negate
from synthetic_persona_chat.records import Conversation

from .conftest import write_run


@pytest.fixture(scope="module")
def real():
    return load_dataset("spc-sample:test", "test").conversations


def test_eight_options_the_speakers_own_and_recorded_distractors(real):
    conv, others = real[0], [a for c in real[1:] for a in c.user1_persona + c.user2_persona]
    texts, kinds = attributes.build_options(conv, "user 2", others, random.Random(0))
    assert len(texts) == attributes.OPTIONS == len(set(t.lower() for t in texts))
    own = conv.user2_persona
    assert Counter(kinds)[attributes.PERSONA] == min(4, len(own))
    for text, kind in zip(texts, kinds):
        if kind == attributes.PERSONA:
            assert text in own
        elif kind == attributes.NEGATED:
            assert text in {negate(a) for a in own} and text not in own
        else:
            assert kind == attributes.OTHER and text in others and text.lower() not in {a.lower() for a in own}
    assert (texts, kinds) == attributes.build_options(conv, "user 2", others, random.Random(0))


def test_the_page_hides_the_personas_and_the_picks_become_one_answer_per_option(real):
    conv = real[0]
    assert conv.user1_persona[0] not in conversation_html(conv, "C", ("personas",), "user 1", personas=False)
    assert conv.user1_persona[0] in conversation_html(conv, "C", (), "user 1")  # the yes/no question shows it
    item = build_items(StudyConfig(synthetic={"run": "x"}, tasks=("attributes",), annotators=2,
                                   items_per_annotator=2, overlap=1).validate(), real, {"run": real[:10]})[0]
    assert picks(item, ["o1", "o5"]) == {f"o{i}": "yes" if i in (1, 5) else "no" for i in range(8)}
    assert set(picks(item, ["o1", "o5"])) == set(questions(item))
    assert picks(item, ["o9"]) == {"picked": ["o9"]} and picks(item, "o1") == {"picked": "o1"}


@pytest.fixture
def study(tmp_path):
    config = StudyConfig(name="attributes", real="spc-sample:test", synthetic={"run": str(write_run(tmp_path / "run"))},
                         tasks=("attributes",), annotators=2, items_per_annotator=4, overlap=2, seed=1).validate()
    tokens = create_study(tmp_path / "study", config)
    return StudyStore(tmp_path / "study" / STUDY_DB), tokens


def test_precision_and_recall_follow_the_picks(study):
    """annotator-1 ticks exactly the speaker's attributes; annotator-2 ticks everything."""
    store, tokens = study
    for who in ("annotator-1", "annotator-2"):
        cur = store.current(tokens[who])
        with pytest.raises(Refused, match="please answer every question"):
            store.submit(tokens[who], cur.item.id, {"picked": ["o9"]})
        while cur.item is not None:
            truth = [attributes.option_key(i) for i, k in enumerate(cur.item.option_kinds) if k == attributes.PERSONA]
            chosen = truth if who == "annotator-1" else [attributes.option_key(i) for i in range(8)]
            cur = store.submit(tokens[who], cur.item.id, picks(cur.item, chosen))
    rows = [r.to_json() for r in attributes.figures(store.answers())]  # as human.json holds them
    assert {r["dataset"] for r in rows} == {"real", "run"}
    for r in rows:
        true_per_item = r["recall"]["n"] / r["judgements"]
        assert r["precision"]["value"] == pytest.approx(2 * true_per_item / (true_per_item + 8))
        assert r["recall"]["value"] == 1.0
        assert r["negated_picked"]["value"] == r["other_picked"]["value"] == 0.5
        lo, hi = r["precision"]["ci"]
        assert lo <= r["precision"]["value"] <= hi
    outcomes = Counter(j.outcome for j in judgements(store.answers()))  # what the `annotations` rows say
    # each distractor is left by annotator-1 and ticked by annotator-2; every true option ticked by both
    assert outcomes[attributes.NEGATED] + outcomes[attributes.OTHER] == outcomes["not picked"] > 0
    assert set(outcomes) == {attributes.PERSONA, attributes.NEGATED, attributes.OTHER, "not picked"}
    human = compute(store)  # human.json and the report section carry them, with agreement per option
    assert [r.to_json() for r in human.attributes] == rows and human.agreement["attributes"].units == 8 * 4
    assert "eight-option faithfulness question" in markdown(human) and "| real | — | 2 |" in markdown(human)


def test_turing_pairs_show_the_same_users_real_conversation_where_there_is_one(real):
    valid = load_dataset("spc-sample:valid", "valid").conversations
    on_real_pairs = [Conversation(list(r.user2_persona), list(r.user1_persona), v.turns, iteration=1)
                     for r, v in zip(real[:8], valid[:8])]
    own_pairs = [dataclasses.replace(c, iteration=1) for c in valid[50:58]]
    config = StudyConfig(synthetic={"run": "x"}, tasks=("turing",), annotators=2, items_per_annotator=6,
                         overlap=1).validate()
    items = build_items(config, real, {"run": on_real_pairs + own_pairs})
    # 12 items: the 8 synthetic conversations with a partner are drawn first, 4 more fall back with the reason
    assert Counter(i.pairing for i in items) == {SAME_USERS: 8, NO_MATCH: 4}
    for item in items:
        side = 0 if item.synthetic_side == "left" else 1
        synth, partner = (Conversation.from_dict(item.conversations[k]) for k in (side, 1 - side))
        assert (pair_key(synth) == pair_key(partner)) == (item.pairing == SAME_USERS)
    items = build_items(config, real, {"run": own_pairs})
    assert {i.pairing for i in items} == {NO_MATCH}


def test_results_count_the_turing_judgements_on_the_same_users(tmp_path, real):
    from synthetic_persona_chat.config import Config
    from synthetic_persona_chat.rundir import RunDir

    valid = load_dataset("spc-sample:valid", "valid").conversations
    convs = [Conversation(list(r.user1_persona), list(r.user2_persona), v.turns, iteration=1, source="run:x")
             for r, v in zip(real[:3], valid[:3])] + [dataclasses.replace(c, iteration=1) for c in valid[40:43]]
    run = RunDir(tmp_path / "run").init(Config())
    run.write_records("conversations", "conversations", [c.to_dict() for c in convs])
    run.mark_done("conversations", {"conversations": len(convs)})
    config = StudyConfig(real="spc-sample:test", synthetic={"run": str(tmp_path / "run")}, tasks=("turing",),
                         annotators=1, items_per_annotator=4, overlap=1).validate()
    tokens = create_study(tmp_path / "study", config)
    store = StudyStore(tmp_path / "study" / STUDY_DB)
    cur = store.current(tokens["annotator-1"])
    while cur.item is not None:
        cur = store.submit(tokens["annotator-1"], cur.item.id, {"machine": "unsure"})
    (row,) = compute(store).turing
    assert (row.same_users, row.judgements) == (3, 4)  # the 3 on test pairs first, then one at random
    assert "3 of 4 judgements on pairs showing the real conversation of the same two users" in markdown(compute(store))
