"""expand/report.json and pairs/report.json as types: files written before the types existed read back
and write out unchanged, and the Markdown report renders from the types as it did from the dicts.

The fixtures (tests/fixtures/reports/expansion_report.json|md, pairing_report.json) were written by the
expand, profiles and pairs stages before this change (test_stages' scripted LLM, the bundled MiniLM,
`expand.rounds=3`).
"""

from __future__ import annotations

import json
from pathlib import Path

from synthetic_persona_chat.rundir import RunDir
from synthetic_persona_chat.usergen.pairing import PairingReport
from synthetic_persona_chat.usergen.report import ExpansionReport, PoolFigures, RoundInfo, report_markdown

REPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "reports"


def _round_trip(name: str, cls, tmp_path: Path):
    """The fixture read into `cls` and written by the run directory's writer: the same bytes."""
    path = REPORTS / name
    typed = cls.from_json(json.loads(path.read_text(encoding="utf-8")))
    out = RunDir(tmp_path).write_json(name, typed.to_json())
    assert out.read_bytes() == path.read_bytes()
    return typed


def test_expansion_report_round_trips_and_renders_as_before(tmp_path):
    report = _round_trip("expansion_report.json", ExpansionReport, tmp_path)
    assert isinstance(report.seed, PoolFigures) and report.seed.categories_reclustered == 3
    assert [r.round for r in report.rounds] == [1, 2, 3] and report.rounds[1].drops["duplicate"] == 5
    assert report.queries.induced == 3 and report.growth == 8
    assert report_markdown(report) == (REPORTS / "expansion_report.md").read_text(encoding="utf-8")


def test_a_stopped_round_keeps_its_reason_and_key_order():
    """A round that asked nothing wrote `stopped` after the figures; a round that ran wrote no such key."""
    stored = {"round": 4, "prompts": 0, "candidates": 0, "added": 0, "pool": 30, "drops": {},
              "stopped": "pool cap reached"}
    info = RoundInfo.from_json(stored)
    assert info.stopped == "pool cap reached"
    assert list(info.to_json().items()) == list(stored.items())
    assert "stopped" not in RoundInfo(round=1, pool=3).to_json()


def test_pairing_report_round_trips(tmp_path):
    report = _round_trip("pairing_report.json", PairingReport, tmp_path)
    assert report.pairs == 12 and report.config["min_shared"] == 1
