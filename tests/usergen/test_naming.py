"""The pairs stage has one name (`spc pairs`, `pairs/`, `[pairs]`); the old spellings (`spc pair`,
`[pairing]`) still work with a deprecation line, also on a run directory written under the old name."""

from __future__ import annotations

import json
import logging

import pytest
import yaml

from synthetic_persona_chat.cli import main
from synthetic_persona_chat.config import load_config
from synthetic_persona_chat.context import RunContext
from synthetic_persona_chat.rundir import RunDir
from synthetic_persona_chat.usergen.config import PairsConfig
from synthetic_persona_chat.usergen.stages import run_pairs

PROFILES = [{"attributes": ["I have two dogs.", "I play the guitar."], "categories": [0, 1], "id": "u0"},
            {"attributes": ["I own a parrot.", "I love jazz music."], "categories": [0, 1], "id": "u1"},
            {"attributes": ["I am a nurse.", "I live in Paris."], "categories": [2, 3], "id": "u2"}]


@pytest.mark.parametrize("section", ["pairs", "pairing"])
def test_both_section_names_reach_the_pairs_stage(tmp_path, minilm, caplog, section):
    """The real stage with the real MiniLM: min_shared=1 under either name pairs the users sharing a category."""
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({section: {"min_shared": 1, "share_threshold": -1, "max_degree": 1}}))
    with caplog.at_level(logging.WARNING):
        cfg = load_config(config)
    assert ("deprecated" in caplog.text) == (section == "pairing")
    ctx = RunContext(cfg, RunDir(tmp_path / "run").init(cfg))
    ctx.__dict__["embedder"] = minilm
    ctx.run.write_records("profiles", "profiles", PROFILES)
    summary = run_pairs(ctx)
    assert summary["min_shared"] == 1 and summary["pairs"] == 1
    assert [(p["user1_id"], p["user2_id"]) for p in ctx.run.read_records("pairs", "pairs")] == [("u0", "u1")]


def test_an_old_name_override_still_beats_a_preset_using_the_new_name():
    cfg = load_config(overrides=["pairing.min_shared=3"], base={"pairs": {"max_pairs": 6, "min_shared": 1}})
    assert cfg.section("pairs", PairsConfig) == PairsConfig(min_shared=3, max_pairs=6)
    assert "pairing" not in cfg.to_dict() and cfg.asked() == {"pairs": {"max_pairs": 6, "min_shared": 3}}


def test_a_run_directory_written_with_the_old_section_resumes_and_stores_the_new_name(tmp_path):
    old = {"seed": 0, "pairing": {"min_shared": 3}}
    run = RunDir(tmp_path / "run")
    run.path.mkdir()
    (run.path / "config.yaml").write_text(yaml.safe_dump(old))
    (run.path / "requested.yaml").write_text(yaml.safe_dump(old))
    (run.path / "profiles").mkdir()  # the run has work: a changed config would be refused
    assert run.config().section("pairs", PairsConfig).min_shared == 3
    run.init(load_config(overrides=["pairs.min_shared=3"]))  # the same settings under the new name: no refusal
    stored = yaml.safe_load((run.path / "config.yaml").read_text())
    assert stored["pairs"]["min_shared"] == 3 and "pairing" not in stored


@pytest.mark.parametrize("command", ["pairs", "pair"])
def test_both_command_names_run_the_pairs_stage(tmp_path, capsys, caplog, command):
    cfg = load_config()
    run = RunDir(tmp_path / "run").init(cfg)
    run.write_records("pairs", "pairs", [])
    run.mark_done("pairs", {"users": 3, "pairs": 1})
    run.lock.release()  # the CLI below opens the run itself
    with caplog.at_level(logging.WARNING):
        assert main([command, "--run-dir", str(run.path)]) == 0
    assert json.loads(capsys.readouterr().out)["pairs"] == 1
    assert ("`spc pair` is now called `spc pairs`" in caplog.text) == (command == "pair")
