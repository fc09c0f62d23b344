"""`spc critic judge` on real files: the SPC CSV, our JSONL, a run directory; input order kept."""

from __future__ import annotations

import json

import pytest

from synthetic_persona_chat.cli import main
from synthetic_persona_chat.config import load_config
from synthetic_persona_chat.generation.critic.judge import judge_source
from synthetic_persona_chat.readers import read_spc_csv, write_records
from tests.runs import finished_run, sample_conversations

CHEAP = ["--set", "critic.experts=[structural,toxicity]"]


def _lines(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_judge_cli_on_the_released_spc_csv(spc_dir, tmp_path, capsys):
    csv = spc_dir / "Synthetic-Persona-Chat_test.csv"
    assert main(["critic", "judge", str(csv), "--out", str(tmp_path / "j"), "--limit", "15", *CHEAP]) == 0
    convs, _ = read_spc_csv(csv)
    records = _lines(tmp_path / "j" / "verdicts.jsonl")
    assert [r["index"] for r in records] == list(range(15))
    assert [r["id"] for r in records] == [c.id for c in convs[:15]]
    for r in records:
        assert [v["expert"] for v in r["verdicts"]] == ["structural", "toxicity"]  # every filter sees every one
        assert r["passed"] == all(v["passed"] for v in r["verdicts"])
    summary = json.loads((tmp_path / "j" / "summary.json").read_text())
    assert summary["conversations"] == 15 and set(summary["pass_rates"]) == {"structural", "toxicity"}
    assert summary["passed"] == sum(r["passed"] for r in records)
    assert "structural" in capsys.readouterr().out


def test_judge_api_on_jsonl_and_a_run_directory(tmp_path):
    config = load_config(None, ["critic.experts=[structural]"])
    run = finished_run(tmp_path / "run", sample_conversations("valid", 6))  # what `spc generate` leaves
    write_records(tmp_path / "convs.jsonl", run.read_records("conversations", "conversations"))
    by_jsonl = judge_source(str(tmp_path / "convs.jsonl"), tmp_path / "a", config)
    by_run = judge_source(str(tmp_path / "run"), tmp_path / "b", config)
    assert by_jsonl["conversations"] == by_run["conversations"] == 6
    assert _lines(tmp_path / "a" / "verdicts.jsonl") == _lines(tmp_path / "b" / "verdicts.jsonl")
    assert by_run["not_run"] == {}


def test_judge_bad_input_and_unknown_expert_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="cannot judge"):
        judge_source(str(tmp_path / "missing.csv"), tmp_path / "o", load_config(None))
    with pytest.raises(ValueError, match="unknown expert"):
        judge_source("spc-sample:test", tmp_path / "o", load_config(None, ["critic.experts=[structural,wit]"]))


@pytest.mark.parametrize("name, content, says", [
    ("bad.csv", "a,b\n1,2\n", "bad.csv lacks column(s)"),
    ("bad.xyz", "hello\n", "unknown dataset format '.xyz'"),
    ("missing.csv", None, "missing.csv does not exist"),
])
def test_judge_cli_on_bad_input_exits_3_with_one_clear_line(tmp_path, capsys, name, content, says):
    """Regression (#25.6): the reader's error was wrapped in a plain FileNotFoundError: exit 1, 'spc: error: ...'."""
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["critic", "judge", str(path), "--out", str(tmp_path / "o"), *CHEAP]) == 3
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith("spc: ")]
    assert len(lines) == 1 and lines[0].startswith(f"spc: input error: cannot judge {path}: "), lines
    assert says in lines[0]
