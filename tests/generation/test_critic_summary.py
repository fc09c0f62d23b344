"""The typed `spc critic judge` summary reads summary.json as written before it was typed, and writes it back
unchanged (key order and bytes); its checker line reads the calibration record's figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthetic_persona_chat.generation.critic.summary import JudgeSummary

REPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "reports"


@pytest.mark.parametrize("name", ["critic_summary.json", "critic_summary_faithfulness.json"])
def test_summary_json_round_trips_byte_for_byte(name):
    text = (REPORTS / name).read_text(encoding="utf-8")
    summary = JudgeSummary.from_json(json.loads(text))
    assert json.dumps(summary.to_json(), indent=2, ensure_ascii=False, default=str) + "\n" == text
    assert summary.pass_rates and summary.experts == list(summary.pass_rates)


def test_the_checker_line_quotes_the_calibrations_figures():
    summary = JudgeSummary.from_json(json.loads((REPORTS / "critic_summary_faithfulness.json").read_text()))
    faith = summary.faithfulness
    assert faith.calibration.auroc == 0.945 and faith.figures() == "auroc 0.94, f1 0.78"
    assert faith.max_nli_pairs in ("all",) or isinstance(faith.max_nli_pairs, int)
    assert JudgeSummary.from_json(json.loads((REPORTS / "critic_summary.json").read_text())).faithfulness is None
