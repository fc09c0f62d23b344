import csv
import dataclasses
import json

import datasets
import pytest

from synthetic_persona_chat.builder.rows import verdict_rows
from synthetic_persona_chat.builder.sources import SourceError, load_source
from synthetic_persona_chat.builder.spc_builder import SyntheticPersonaChat
from synthetic_persona_chat.readers import SPCFormatError

from .conftest import make_run

# The features of the official SPC release loader (google-research-datasets/Synthetic-Persona-Chat), verbatim.
OFFICIAL_FEATURES = datasets.Features({
    "user_1_persona": datasets.features.Sequence(datasets.Value("string")),
    "user_2_persona": datasets.features.Sequence(datasets.Value("string")),
    "utterances": datasets.features.Sequence(datasets.Value("string")),
})


def build(config, tmp_path, **kwargs):
    builder = SyntheticPersonaChat(config_name=config, cache_dir=str(tmp_path / "cache"), **kwargs)
    builder.download_and_prepare()
    return builder, builder.as_dataset()


def test_release_test_split_967_examples_one_skip(spc_dir, tmp_path):
    builder, ds = build("full", tmp_path, data_dir=str(spc_dir))
    assert ds["test"].num_rows == 967 and ds["validation"].num_rows == 1000
    skips = load_source(spc_dir).skips
    assert [s["reason"] for s in skips] == ["empty conversation"] and skips[0]["locator"] == "row 510"
    assert not hasattr(builder, "source")  # stateless: the source travels in gen_kwargs
    assert ds["test"].features == OFFICIAL_FEATURES and builder.info.features == OFFICIAL_FEATURES
    first = ds["test"][0]
    assert first["utterances"][0] == "Hi, I'm [User 1's name]. What's your name?"
    assert first["user_1_persona"][0] == "I just bought a brand new house."
    _, compat = build("persona-chat-compatible", tmp_path, data_dir=str(spc_dir))
    assert compat["test"].features == OFFICIAL_FEATURES and set(compat) == {"validation", "test"}


def test_untagged_row_is_read_with_inferred_speakers(spc_test_only, tmp_path):
    _, ds = build("conversations", tmp_path, data_dir=str(spc_test_only))
    inferred = [r for r in ds["test"] if r["meta"]["speakers_inferred"]]
    assert len(inferred) == 1
    speakers = [t["speaker"] for t in inferred[0]["turns"]]
    assert speakers[:4] == [0, 1, 0, 1]  # ClassLabel: 0 = "user 1"
    names = ds["test"].features["turns"].feature["speaker"].names
    assert names == ["user 1", "user 2"]


def test_nup_rows_have_20_candidates_gold_at_label(spc_test_only, tmp_path):
    _, convs = build("conversations", tmp_path, data_dir=str(spc_test_only))
    turns = {r["id"]: [t["text"] for t in r["turns"]] for r in convs["test"]}
    _, nup = build("nup", tmp_path, data_dir=str(spc_test_only), nup_seed=7)
    rows = nup["test"]
    assert rows.num_rows == sum(len(t) - 1 for t in turns.values())
    for r in rows.select(range(0, rows.num_rows, 97)):
        gold = turns[r["conversation_id"]][r["turn"]]
        assert len(r["candidates"]) == 20 and len(set(r["candidates"])) == 20
        assert r["candidates"][r["label"]] == gold
        assert r["history"] == turns[r["conversation_id"]][:r["turn"]]
    labels = rows["label"]
    assert len(set(labels)) == 20  # the gold is not always at the same index


def test_run_dir_configs(run_dir, tmp_path):
    _, full = build("full", tmp_path, data_dir=str(run_dir))
    assert {k: v.num_rows for k, v in full.items()} == {"train": 20, "synthetic": 40}
    assert full["train"].features == OFFICIAL_FEATURES
    _, compat = build("persona-chat-compatible", tmp_path, data_dir=str(run_dir))
    assert set(compat) == {"train"}
    _, convs = build("conversations", tmp_path, data_dir=str(run_dir))
    gen = convs["synthetic"][0]
    assert gen["generator"] == "llama-cpp:smollm2" and gen["iteration"] == 3 and gen["pair_similarity"] == 4.0
    assert {v["expert"]: (v["passed"], v["choice"], v["reason"]) for v in gen["critic_verdicts"]} == {
        "faithfulness": (True, None, "no contradiction"), "quality:depth": (None, 1, "asks follow-up questions")}
    assert gen["meta"]["pair_id"] == "p20" and gen["source"] == "run:test"
    # the typed fields are not repeated in `other`, which keeps only the stage's untyped provenance
    assert set(json.loads(gen["meta"]["other"])) == {"candidate_id", "candidate_index", "fewshot_ids", "parse_notes",
                                                     "user1_id", "user2_id", "votes"}
    _, personas = build("personas", tmp_path, data_dir=str(run_dir))
    assert list(personas) == ["from_run"]  # named for its origin, never "train"
    pool = personas["from_run"]
    row = pool[0]
    assert row["category"] == 0 and row["query"] == "query 0?" and row["category_size"] == 10
    assert set(pool.features["origin"].int2str(pool["origin"])) == {"seed", "generated"}
    assert set(pool["round"]) == {0, 1}


def test_missing_columns_is_a_clear_error(tmp_path):
    (tmp_path / "Synthetic-Persona-Chat_test.csv").write_text("user 1 personas,conversation\na,b\n")
    with pytest.raises(SPCFormatError, match=r"Synthetic-Persona-Chat_test\.csv lacks column.*Best Generated"):
        load_source(tmp_path)


def test_half_written_run_dir_is_a_clear_error(tmp_path):
    run = make_run(tmp_path / "run", n=10, done=False)
    with pytest.raises(SourceError, match=r"conversations/_done\.json is missing.*half-written.*rerun"):
        load_source(run.path)
    with pytest.raises(SourceError, match="neither a run"):
        load_source(tmp_path / "run" / "expand")


def test_verdicts_are_typed_from_the_critic_contract():
    from synthetic_persona_chat.builder.features import VERDICT
    from synthetic_persona_chat.generation.critic.base import Verdict

    assert list(VERDICT) == [f.name for f in dataclasses.fields(Verdict)]
    assert VERDICT["passed"] == datasets.Value("bool") and VERDICT["expert"] == datasets.Value("string")
    row = verdict_rows([{"expert": "toxicity", "passed": False, "reason": "insult"}])[0]
    assert row["passed"] is False and row["choice"] is None and set(row) == set(VERDICT)
    assert verdict_rows(None) == []
    with pytest.raises(SourceError, match="list of Verdict records"):
        verdict_rows({"toxicity": {"ok": False}})


def test_split_generators_hand_over_file_lists_not_a_read_source(run_dir, tmp_path):
    """`gen_kwargs` carry each split's input files (a list `num_proc` may shard; a tuple where rows need the whole
    split or source), so workers get a few paths to pickle, never every conversation read."""
    from synthetic_persona_chat.sample_data import sample_dir

    spc_dir = sample_dir()
    valid, test = str(spc_dir / "Synthetic-Persona-Chat_valid.csv"), str(spc_dir / "Synthetic-Persona-Chat_test.csv")

    def inputs(config, data_dir):
        builder = SyntheticPersonaChat(config_name=config, data_dir=str(data_dir), cache_dir=str(tmp_path / "c"))
        return {g.name: g.gen_kwargs["files"] for g in builder._split_generators(dl_manager=None)}

    assert inputs("full", spc_dir) == {"validation": [("validation", valid)], "test": [("test", test)]}
    assert inputs("nup", spc_dir) == {"validation": (("validation", valid),), "test": (("test", test),)}
    assert inputs("personas", spc_dir) == {"from_validation_test": (("validation", valid), ("test", test))}
    assert inputs("conversations", run_dir) == {"train": (("run", str(run_dir)),), "synthetic": (("run", str(run_dir)),)}


def test_a_release_csv_rewritten_in_place_is_read_again(tmp_path):
    """The builder reads a CSV once per version of the file; an edited file is never served from that memory."""
    from synthetic_persona_chat.sample_data import sample_path

    folder = tmp_path / "spc"
    folder.mkdir()
    csv_path = folder / "Synthetic-Persona-Chat_test.csv"
    lines = sample_path("test").read_text(encoding="utf-8").splitlines(keepends=True)
    csv_path.write_text("".join(lines), encoding="utf-8")
    first = load_source(folder).conversations["test"]
    assert load_source(folder).conversations["test"] is first  # parsed once
    rows = list(csv.reader(lines))
    header, body = rows[0], rows[1:]
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *body[:10]])
    assert len(load_source(folder).conversations["test"]) == 10
