"""The study store with a real SQLite file: queues, refusals that write nothing, restarts, concurrency."""

import threading

import pytest

from synthetic_persona_chat.annotate.commands import create_study
from synthetic_persona_chat.annotate.store import STUDY_DB
from synthetic_persona_chat.annotate.items import questions
from synthetic_persona_chat.annotate.store import Refused, StudyStore


def answer_for(item, pick=0):
    return {q: values[pick % len(values)] for q, values in questions(item).items()}


@pytest.fixture
def study(tmp_path, study_config):
    tokens = create_study(tmp_path / "study", study_config)
    return StudyStore(tmp_path / "study" / STUDY_DB), tokens


def test_annotator_walks_their_queue_and_resumes_after_a_restart(study):
    store, tokens = study
    tok = tokens["annotator-1"]
    first = store.current(tok)
    assert (first.done, first.total) == (0, 6)
    nxt = store.submit(tok, first.item.id, answer_for(first.item))
    assert nxt.done == 1 and nxt.item.id != first.item.id
    reopened = StudyStore(store.path)  # a new server process reads the same file
    again = reopened.current(tok)
    assert again.done == 1 and again.item.id == nxt.item.id
    assert [a["item"].id for a in reopened.answers()] == [first.item.id]


def test_refusals_record_nothing(study):
    store, tokens = study
    a1, a2 = tokens["annotator-1"], tokens["annotator-2"]
    item = store.current(a1).item
    with pytest.raises(Refused, match="not valid"):
        store.submit("not-a-token", item.id, answer_for(item))
    with pytest.raises(Refused, match="not valid"):
        store.submit(tokens["admin"], item.id, answer_for(item))  # the admin token cannot answer
    with pytest.raises(Refused, match="not in your queue"):
        store.submit(a1, "0" * 16, answer_for(item))
    foreign = [i for i in store.items() if i.id not in _queue(store, "annotator-1")]
    with pytest.raises(Refused, match="not in your queue"):
        store.submit(a1, foreign[0].id, answer_for(foreign[0]))
    with pytest.raises(Refused, match="answer every question"):
        store.submit(a1, item.id, {})
    with pytest.raises(Refused, match="is not one of"):
        store.submit(a1, item.id, {q: "maybe" for q in questions(item)})
    assert len(store.answers()) == 0
    store.submit(a1, item.id, answer_for(item))
    with pytest.raises(Refused, match="already answered"):  # a replay of the same submission
        store.submit(a1, item.id, answer_for(item, pick=1))
    assert len(store.answers()) == 1 and store.answers()[0]["answer"] == answer_for(item)
    later = _queue(store, "annotator-1")[-1]
    with pytest.raises(Refused, match="not your current item"):
        store.submit(a1, later, answer_for(store.item(later)))
    assert len(store.answers()) == 1
    assert store.current(a2).done == 0


def test_progress_needs_the_admin_token(study):
    store, tokens = study
    with pytest.raises(Refused):
        store.progress(tokens["annotator-1"])
    rows = store.progress(tokens["admin"])
    assert [(r["annotator"], r["answered"], r["assigned"]) for r in rows] == [
        ("annotator-1", 0, 6), ("annotator-2", 0, 6), ("annotator-3", 0, 6)]


def test_two_annotators_submitting_at_once_never_clash(study):
    store, tokens = study
    errors = []

    def work(tok):
        try:
            cur = StudyStore(store.path).current(tok)
            while cur.item is not None:
                cur = StudyStore(store.path).submit(tok, cur.item.id, answer_for(cur.item))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(tokens[n],)) for n in ("annotator-1", "annotator-2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.answers()) == 12
    assert [r["answered"] for r in store.progress(tokens["admin"])] == [6, 6, 0]


def test_only_token_hashes_are_stored(study):
    store, tokens = study
    raw = store.path.read_bytes()
    assert all(tok.encode() not in raw for tok in tokens.values())


def _queue(store, name):
    import sqlite3

    con = sqlite3.connect(store.path)
    try:
        return [r[0] for r in con.execute("SELECT a.item_id FROM assignments a JOIN people p ON p.id = a.person_id "
                                          "WHERE p.name = ? ORDER BY a.position", (name,))]
    finally:
        con.close()
