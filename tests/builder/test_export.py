import dataclasses
import json

import datasets
import pytest
import yaml

from synthetic_persona_chat.builder.card import BEGIN, END
from synthetic_persona_chat.builder.export import CONFIGS, ExportError, export
from synthetic_persona_chat.builder.spc_builder import SyntheticPersonaChat
from synthetic_persona_chat.cli import main
from tests.runs import finished_run, sample_conversations


def _front_matter(text):
    return yaml.safe_load(text.split("---\n")[1])


def test_round_trip_run_dir_through_stock_load_dataset(run_dir, tmp_path):
    out = tmp_path / "export"
    result = export(run_dir, out, version="0.3.0")
    assert set(result.rows) == set(CONFIGS) and not result.skipped_configs
    for config in CONFIGS:
        builder = SyntheticPersonaChat(config_name=config, data_dir=str(run_dir), cache_dir=str(tmp_path / "c1"))
        builder.download_and_prepare()
        expected = builder.as_dataset()
        loaded = datasets.load_dataset(str(out), config, cache_dir=str(tmp_path / "c2"))  # stock: no code of ours
        assert set(loaded) == set(expected)
        for split in expected:
            assert loaded[split].features == expected[split].features
            assert loaded[split].to_list() == expected[split].to_list()
    card = (out / "README.md").read_text()
    meta = _front_matter(card)
    assert meta["license"] == "cc-by-4.0" and {c["config_name"] for c in meta["configs"]} == set(CONFIGS)
    assert [c["config_name"] for c in meta["configs"] if c.get("default")] == ["full"]
    assert meta["size_categories"] == ["n<1K"]  # 60 conversations, not the NUP rows
    assert meta["source_datasets"] == ["extended|google/Synthetic-Persona-Chat"]
    info = {i["config_name"]: i for i in meta["dataset_info"]}
    assert {s["name"]: s["num_examples"] for s in info["messages"]["splits"]} == result.rows["messages"]
    assert str(run_dir.parent) not in card and str(tmp_path) not in card  # no path of this machine
    for needle in ("smollm2", "| faithfulness | 3/4 | 0.750 [0.301, 0.954] ⚠", "iterations: 3", "no 'User 2:' line in candidate",
                   "Generator mode: `constrained`",
                   "2312.10007", "CC BY 4.0", "| synthetic | 40 |", "| 0.3.0 |", "## Bias, risks and limitations",
                   "## Personal and sensitive information", "https://arxiv.org/abs/2312.10007"):
        assert needle in card, needle
    manifest = json.loads((out / "spc_export.json").read_text())
    assert manifest["version"] == "0.3.0" and manifest["rows"]["full"] == {"train": 20, "synthetic": 40}


def test_cli_build_release_card_and_user_metadata_kept(spc_test_only, tmp_path, capsys):
    out = tmp_path / "spc"
    assert main(["build", str(spc_test_only), "--out", str(out), "--configs", "full,conversations"]) == 0
    assert "full: test 967" in capsys.readouterr().out
    card = (out / "README.md").read_text()
    assert "| read | empty conversation | 1 | Synthetic-Persona-Chat_test.csv row 510: empty conversation |" in card
    assert datasets.load_dataset(str(out), "full", cache_dir=str(tmp_path / "c"))["test"].num_rows == 967
    # the user edits the card; a rebuild of the same version keeps their metadata and text
    meta = _front_matter(card)
    meta.update(license="other", my_key="kept")
    body = card.split("---\n", 2)[2]
    (out / "README.md").write_text("---\n" + yaml.safe_dump(meta) + "---\nMy intro.\n" + body + "\nMy notes.\n")
    assert main(["build", str(spc_test_only), "--out", str(out), "--configs", "full"]) == 0
    card = (out / "README.md").read_text()
    meta = _front_matter(card)
    assert meta["license"] == "other" and meta["my_key"] == "kept"
    assert [c["config_name"] for c in meta["configs"]] == ["full"]  # configs always match the files
    assert "My intro." in card and "My notes." in card and card.count(BEGIN) == 1 and card.count(END) == 1
    assert not (out / "conversations").exists()


def test_export_folder_with_another_version_is_refused(spc_test_only, tmp_path, capsys):
    out = tmp_path / "spc"
    export(spc_test_only, out, version="1.0.0", configs=("full",))
    with pytest.raises(ExportError, match=r"spc_export\.json says .* already holds version 1\.0\.0.*--overwrite"):
        export(spc_test_only, out, version="1.1.0", configs=("full",))
    assert main(["build", str(spc_test_only), "--out", str(out), "--version", "1.1.0", "--configs", "full"]) != 0
    assert "spc_export.json" in capsys.readouterr().err
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match=r"holds files not written by `spc build` \(notes\.txt\)"):
        export(spc_test_only, tmp_path / "other", configs=("full",))
    export(spc_test_only, out, version="1.1.0", configs=("full",), overwrite=True)
    assert json.loads((out / "spc_export.json").read_text())["version"] == "1.1.0"


def test_identical_data_is_stored_once(spc_test_only, tmp_path):
    out = tmp_path / "spc"
    result = export(spc_test_only, out, configs=("full", "persona-chat-compatible", "release", "personas"))
    assert result.files["persona-chat-compatible"] == result.files["full"]
    assert not (out / "persona-chat-compatible").exists()
    assert list(result.rows["personas"]) == ["from_test"]  # the split says where its personas come from
    compat = datasets.load_dataset(str(out), "persona-chat-compatible", cache_dir=str(tmp_path / "c"))
    assert compat["test"].num_rows == 967
    card = (out / "README.md").read_text()
    assert "`persona-chat-compatible` reads the files of `full`" in card
    assert "- `release`: the Hub repo" in card and "the GitHub release's loading script" in card


def test_release_config_is_the_hub_repos_raw_columns(spc_test_only, tmp_path):
    import csv

    out = tmp_path / "spc"
    export(spc_test_only, out, configs=("full", "release"))
    rel = datasets.load_dataset(str(out), "release", cache_dir=str(tmp_path / "c"))["test"]
    with open(spc_test_only / "Synthetic-Persona-Chat_test.csv", newline="", encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    assert rel.column_names == ["user 1 personas", "user 2 personas", "Best Generated Conversation"]
    assert rel.num_rows == len(raw) == 968  # verbatim: the empty row 510 too
    assert rel[0] == {k: raw[0][k] for k in rel.column_names}


def test_a_run_too_small_for_nup_builds_without_it(tmp_path):
    """Two generated conversations cannot give 19 distractors per example: the `nup` config is skipped with the
    reason (in the result and the card), every other config is built and loads with stock `datasets`."""
    convs = [dataclasses.replace(c, turns=c.turns[:4]) for c in sample_conversations("test", 2)]
    run = finished_run(tmp_path / "run", convs)  # 8 utterances in all: too few distractors
    result = export(run.path, tmp_path / "out")
    assert "nup" not in result.rows and "distractors" in result.skipped_configs["nup"]
    assert "nup" in (tmp_path / "out" / "README.md").read_text()  # the card says why it is missing
    loaded = datasets.load_dataset(str(tmp_path / "out"), "conversations")
    assert sum(len(split) for split in loaded.values()) == 2


def test_build_accepts_the_packaged_sample_as_eval_and_critic_do(tmp_path):
    """`spc build spc-sample:test` said "is not a directory", while eval, critic and annotate take it."""
    result = export("spc-sample:test", tmp_path / "out", configs=("full", "messages"))
    assert result.rows["full"] == {"test": 150}
    manifest = json.loads((tmp_path / "out" / "spc_export.json").read_text())
    assert manifest["source"]["name"] == "spc-sample:test"


def test_a_run_without_winners_says_so(tmp_path):
    """A run whose Critic kept nothing was told "no conversations in the splits of config 'full'; use config
    'full'": advice that contradicted itself."""
    from synthetic_persona_chat.builder.sources import SourceError

    run = finished_run(tmp_path / "run", [])
    with pytest.raises(SourceError, match="run has no conversations at all: the run selected no winner"):
        export(run.path, tmp_path / "out")
