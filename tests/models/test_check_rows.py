"""`spc models check --json` prints `ModelCheck` rows: the same JSON, byte for byte, as the dict-era code
(the fixture was printed by that code with these canned probe results)."""

from __future__ import annotations

import argparse
import json
import signal
from pathlib import Path

from synthetic_persona_chat.models import check
from synthetic_persona_chat.models.isolation import ChildResult

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "summaries" / "models_check.json"
CANNED = {
    "llm": ChildResult(signal=signal.SIGSEGV),
    "embedder": ChildResult(value=({"kind": "sentence-transformers", "model": "minilm", "dim": 384, "normalized": True,
                                    "path": "/x/minilm", "options": {"device": "cpu"}, "size_mb": 86.7, "revision": None},
                                   "cos(paraphrase)=0.84 cos(unrelated)=0.08")),
    "nli": ChildResult(error="ValueError: unknown contradiction checker 'magic'"),
    "toxicity": ChildResult(value=({"kind": "minilm-head", "calibration": {"auroc": 0.91, "f1": 0.8, "n": 120}},
                                   "polite=0.01 insult=0.97")),
}


def test_models_check_json_is_unchanged(monkeypatch, capsys):
    monkeypatch.setattr(check, "PROBES", [(role, role) for role in CANNED])
    monkeypatch.setattr(check, "run_in_child", lambda probe, _data: CANNED[probe])
    monkeypatch.setattr(check, "config_data", lambda *_: {"models": {"llm": "llama-cpp:smollm2"}})
    monkeypatch.setattr(check, "probe_config", lambda *_: None)
    monkeypatch.setattr(check.time, "perf_counter", iter([0.0, 1.234, 2.0, 2.5, 3.0, 3.011, 4.0, 4.2]).__next__)
    assert check.run_check(argparse.Namespace(config=None, overrides=[], json=True)) == 1
    assert capsys.readouterr().out == FIXTURE.read_text(encoding="utf-8")


def test_a_printed_row_reads_back_as_itself():
    for row in json.loads(FIXTURE.read_text(encoding="utf-8")):
        assert check.ModelCheck.from_json(row).to_json() == row
