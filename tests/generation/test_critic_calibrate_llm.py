"""#28 item 3: `spc critic calibrate --expert llm-faithfulness|llm-toxicity` measures the conversation judges."""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import pytest

from synthetic_persona_chat.generation.critic.judge import clean_rows
from synthetic_persona_chat.generation.critic.calibrate_llm import (JudgeCalibration, JudgeData, Rate, calibrate_judge,
                                                                   format_judge, labelled_rows, with_denial)
from synthetic_persona_chat.generation.critic.commands import register_calibrate
from synthetic_persona_chat.models.nli_features import negate

from . import fake_openai
from .helpers import make_ctx
from tests.fakes import ScriptedLLM


def _denial_spotter(denials):
    """A judge that says yes exactly when the conversation holds one of `denials`."""
    return lambda messages: "Yes. A speaker denies their persona." if any(d in messages[-1]["content"]
                                                                          for d in denials) else "No."


def test_labelled_rows_corrupt_one_line_of_each_clean_conversation():
    clean = clean_rows("spc-sample:test")[:5]
    rows, positive = labelled_rows("llm-faithfulness", clean, [], seed=0)
    assert positive == [False] * 5 + [True] * 5 and rows[:5] == clean
    for before, after in zip(clean, rows[5:]):
        changed = [(a["speaker"], b["text"]) for a, b in zip(before["turns"], after["turns"]) if a != b]
        assert len(changed) == 1
        speaker, text = changed[0]
        own = before["user1_persona" if speaker == "user 1" else "user2_persona"]
        assert text in {negate(a) for a in own}
    assert with_denial(clean[0], random.Random(1)) == with_denial(clean[0], random.Random(1))  # seeded
    with pytest.raises(ValueError, match="offensive lines"):
        labelled_rows("llm-toxicity", clean, [], seed=0)


def test_calibrate_judge_with_a_test_double_counts_one_call_per_conversation(tmp_path):
    calls = []
    llm = ScriptedLLM(lambda chat, i: calls.append(1) or ("Yes. Rude." if "idiot" in chat[-1]["content"] else
                                                          "I am not sure."))
    ctx = make_ctx(tmp_path, {"seed": 0}, llm)
    result = calibrate_judge("llm-toxicity", ctx, clean_rows("spc-sample:test")[:6], ["You are an idiot."],
                             seed=0).to_json()
    ctx.close()
    assert len(calls) == result["calls"] == 12
    assert result["recall"]["rate"] == 1.0 and result["fpr"]["hits"] == 0 and result["precision"]["rate"] == 1.0
    assert result["unparsable"] == 6 and result["recall"]["ci95"][0] < 1.0  # an interval, not a point


def test_calibrate_subcommand_against_a_real_openai_compatible_server(tmp_path, monkeypatch, capsys):
    """Real HTTP on 127.0.0.1: every labelled conversation is one request; the record is written."""
    denials = {negate(a) for r in clean_rows("spc-sample:test")[:8] for a in r["user1_persona"] + r["user2_persona"]}
    spot = _denial_spotter(denials)
    monkeypatch.setattr(fake_openai, "answer", lambda messages, seed: spot(messages))
    parser = argparse.ArgumentParser()
    register_calibrate(parser.add_subparsers())
    out = tmp_path / "llm_cal.json"
    with fake_openai.FakeOpenAI() as server:
        args = parser.parse_args(["calibrate", "--expert", "llm-faithfulness", "--limit", "8", "--out", str(out),
                                  "--set", f"models.llm=openai:fake@{server.url}"])
        assert args.func(args) == 0
        assert server.requests == 16
    result = json.loads(out.read_text())
    assert result["expert"] == "llm-faithfulness" and result["calls"] == 16 and result["n_positive"] == 8
    assert result["recall"]["rate"] == 1.0 and result["fpr"]["rate"] == 0.0 and result["data"]["n_clean"] == 8
    assert {"precision", "recall", "fpr"} <= set(result) and "recall" in capsys.readouterr().out


RECORD = Path(__file__).parents[1] / "fixtures" / "summaries" / "llm_judge_calibration.json"


def test_a_record_written_before_the_type_round_trips_byte_for_byte_and_reads_as_rows(tmp_path):
    """tests/fixtures/summaries/llm_judge_calibration.json: the dict-era code's `--out` record (6 clean SPC
    test conversations, a scripted judge); the typed record reads it, writes it back unchanged, and today's
    code computes the same record from the same inputs."""
    text = RECORD.read_text(encoding="utf-8")
    record = JudgeCalibration.from_json(json.loads(text))
    assert record.recall == Rate(rate=1.0, hits=6, n=6, ci95=[0.6097, 1.0]) and record.data.n_clean == 6
    assert json.dumps(record.to_json(), indent=2) + "\n" == text and not record.extra
    assert "fpr 0.000 [0.000, 0.390]" in format_judge(record)
    llm = ScriptedLLM(lambda chat, i: "Yes. Rude." if "idiot" in chat[-1]["content"] else "I am not sure.")
    ctx = make_ctx(tmp_path, {"seed": 0}, llm)
    again = calibrate_judge("llm-toxicity", ctx, clean_rows("spc-sample:test")[:6], ["You are an idiot."], seed=0)
    ctx.close()
    again.data = JudgeData(conversations="spc-sample:test", n_clean=6)
    assert again.to_json() == json.loads(text)
