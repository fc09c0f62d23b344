from synthetic_persona_chat.builder.nup import nup_examples
from synthetic_persona_chat.readers import read_parlai, read_spc_csv
from tests.readers.test_parlai import FIX


def test_nup_rows_on_real_spc(spc_dir):
    convs, _ = read_spc_csv(spc_dir / "Synthetic-Persona-Chat_test.csv", split="test")
    rows = nup_examples(convs[:50], seed=1)
    assert len(rows) == sum(len(c.turns) - 1 for c in convs[:50])
    by_id = {c.id: c for c in convs[:50]}
    for r in rows:
        assert len(r["candidates"]) == 20 and len(set(r["candidates"])) == 20
        conv = by_id[r["conversation_id"]]
        assert r["candidates"][r["label"]] == conv.turns[r["turn"]].text
        assert r["history"] == [t.text for t in conv.turns[:r["turn"]]]
        assert r["persona"] == conv.persona_of(r["speaker"])
        own = {t.text for t in conv.turns}
        assert not (set(r["candidates"]) - {conv.turns[r["turn"]].text}) & own
    # fixed seed -> same rows; an example does not depend on the others
    assert nup_examples(convs[:50], seed=1) == rows
    again = {r["id"]: r for r in nup_examples(list(reversed(convs[:50])), seed=1)}
    assert all(again[r["id"]]["candidates"] == r["candidates"] for r in rows)
    assert nup_examples(convs[:50], seed=2) != rows


def test_parlai_candidates_are_reused():
    convs, _ = read_parlai(FIX / "personachat_self_original.txt")
    rows = nup_examples(convs, num_candidates=3, speakers=("user 2",))
    first = rows[0]
    assert set(first["candidates"]) == set(convs[0].meta["candidates"]["1"])
