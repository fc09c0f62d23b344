"""The typed result files read what the code wrote before they were typed, and write it back unchanged.

The fixtures in tests/fixtures/reports/ are files written by `spc eval nup`, `spc eval quality` and
`spc eval sft` (the bundled models, small real inputs) before the result types existed: reading them into
the types and writing them out again must give the same JSON, key order and bytes included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from synthetic_persona_chat.eval.generative_result import GenerativeResult, SFTModel
from synthetic_persona_chat.eval.generative_table import markdown_table as generative_table_md
from synthetic_persona_chat.eval.nup_result import NUPCell, NUPResult
from synthetic_persona_chat.eval.nup_tables import markdown_table
from synthetic_persona_chat.eval.quality_result import DatasetQuality, QualityResult
from synthetic_persona_chat.eval.report import quality_markdown
from synthetic_persona_chat.json_output import write_json
from synthetic_persona_chat.generation.critic.calibrate import format_result
from synthetic_persona_chat.eval.checker_calibration import calibration_text
from synthetic_persona_chat.jsonrow import JsonRow, optional
from synthetic_persona_chat.models.calibration_record import Calibration
from synthetic_persona_chat.models.contradiction import shipped_calibrations

REPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "reports"


def _same_file(path: Path, typed: JsonRow, tmp_path: Path) -> None:
    out = write_json(tmp_path / path.name, typed.to_json())
    assert out.read_bytes() == path.read_bytes()


def test_nup_json_round_trips_byte_for_byte(tmp_path):
    path = REPORTS / "nup.json"
    result = NUPResult.from_json(json.loads(path.read_text(encoding="utf-8")))
    assert isinstance(result.cells[0], NUPCell) and result.cells[0].intervals["hits@1/20"].clusters == 2
    assert result.test_sets["SPC test"].examples == 61 and result.models["SPC"].train_examples == 68
    assert result.train_sets["Persona-Chat"].not_run and result.train_sets["Persona-Chat"].source is None
    assert result.comparisons[0].a == "fine-tuned (SPC)" and result.preset == "small"
    _same_file(path, result, tmp_path)


def test_the_table_reads_the_same_from_the_file_and_from_the_types():
    data = json.loads((REPORTS / "nup.json").read_text(encoding="utf-8"))
    table = markdown_table(data)
    assert table == markdown_table(NUPResult.from_json(data))
    assert "| fine-tuned | SPC | 0.295 [0.196, 0.419]" in table
    assert "not run: training data: no data given (--persona-chat-train)" in table


def test_generative_json_round_trips_byte_for_byte(tmp_path):
    path = REPORTS / "generative.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    result = GenerativeResult.from_json(data)
    assert isinstance(result.models["SPC"], SFTModel) and result.models["SPC"].steps == 2
    assert result.test_sets["SPC test"].skip_reasons == [] and result.comparisons[0].better == 1
    spc = result.cells[0]
    assert spc.estimate("hits@1").n == 3 and spc.estimate("contradiction").item == "replies"
    assert spc.estimate("perplexity").extra == {"mean_nll": spc.metrics["perplexity"]["mean_nll"]}
    assert generative_table_md(data) == generative_table_md(result)
    _same_file(path, result, tmp_path)


def test_quality_json_round_trips_byte_for_byte(tmp_path):
    path = REPORTS / "quality.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    result = QualityResult.from_json(data)
    gen = result.datasets["generated"]
    assert isinstance(gen, DatasetQuality) and gen.diversity.distinct_1 == data["datasets"]["generated"]["diversity"]["distinct-1"]
    assert gen.faithfulness.estimate.item == "utterances" and gen.by_iteration["1"].template_leftovers == 2
    assert result.datasets["spc"].not_run.endswith("does not exist") and result.datasets["spc"].diversity is None
    assert quality_markdown(data) == quality_markdown(result)
    _same_file(path, result, tmp_path)


def test_calibration_records_round_trip(tmp_path):
    """`spc critic calibrate --out` as written today (bytes), and every shipped record (objects: that file's
    keys are sorted, the type writes calibrate's order)."""
    path = REPORTS / "calibration.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    cal = Calibration.from_json(data)
    assert cal.strict.min_precision == data["strict"]["min_precision"] and cal.calibration_part.threshold is None
    assert cal.confusion() == (data["tp"], data["fp"], data["fn"], data["tn"])
    assert (tmp_path / "c.json").write_text(json.dumps(cal.to_json(), indent=2) + "\n") and \
        (tmp_path / "c.json").read_bytes() == path.read_bytes()
    assert format_result(data) == format_result(cal) and "AUROC" in format_result(cal)
    for record in shipped_calibrations().values():
        assert Calibration.from_json(record).to_json() == record
    quality = json.loads((REPORTS / "quality.json").read_text(encoding="utf-8"))
    checker = quality["datasets"]["generated"]["faithfulness"]["checker"]
    assert calibration_text(checker).startswith("AUROC 0.759 [") and "n = 99 labelled pairs" in calibration_text(checker)


@dataclass(kw_only=True)
class _Probe(JsonRow):
    name: str
    value: float | None
    note: str | None = optional()
    parts: list[_Probe] | None = optional()  # nested rows of the same class


def test_optional_keys_absent_stay_absent_and_null_values_stay_null():
    data = {"name": "a", "value": None, "parts": [{"name": "b", "value": 1.0, "note": "x", "new": [1]}]}
    row = _Probe.from_json(data)
    assert row.value is None and row.note is None and row.parts[0].note == "x"
    assert row.parts[0].extra == {"new": [1]}  # a key this reader does not know survives the round trip
    assert json.dumps(row.to_json()) == json.dumps(data)


def test_a_missing_required_key_is_named():
    with pytest.raises(ValueError, match="_Probe: the JSON object lacks value"):
        _Probe.from_json({"name": "a"})
    with pytest.raises(ValueError, match="expected a JSON object, got list"):
        _Probe.from_json([1])


def test_human_json_round_trips_byte_for_byte(tmp_path):
    """human.json as `spc annotate results` wrote it before it was typed (3 annotators, scripted answers)."""
    from synthetic_persona_chat.eval.human_report import markdown
    from synthetic_persona_chat.eval.human_result import AspectRate, HumanResult

    path = REPORTS / "human.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    result = HumanResult.from_json(data)
    assert result.answers == result.expected_answers == 18 and result.config["overlap"] == 2
    assert result.turing[0].losing_rate.value == 0.5 and result.turing[0].losing_rate.n == 2
    assert isinstance(result.quality[0], AspectRate) and result.agreement["turing"].units == 3
    _same_file(path, result, tmp_path)
    older = {**data, "quality": [{k: v for k, v in q.items() if k != "unsure_rate"} for q in data["quality"]]}
    assert HumanResult.from_json(older).to_json() == older  # written before "cannot tell" existed
    assert "| run | 1 | 2 | 0.500 [0.095, 0.905] | 0.000 [0.000, 0.658] |" in markdown(result)


def test_size_matched_diversity_reads_as_types():
    """quality.json's size-matched diversity (across datasets and across one run's iterations) as SizeMatched."""
    from synthetic_persona_chat.eval.diversity_result import SizeMatched, Spread
    from synthetic_persona_chat.eval.report import size_matched_markdown

    result = QualityResult.from_json(json.loads((REPORTS / "quality.json").read_text(encoding="utf-8")))
    sm = result.size_matched_diversity
    assert isinstance(sm, SizeMatched) and sm.lexical.tokens == 597 and sm.lexical.flags == ["too few tokens: 597"]
    assert isinstance(sm.lexical.datasets["generated"].distinct_2, Spread) and sm.embedding.embedder == "minilm"
    assert isinstance(result.size_matched_by_iteration["generated"], SizeMatched)
    assert "| generated | 3316 | 0.347 ± 0.027 | 0.729 ± 0.046 | 207.2 ± 15.9 |" in size_matched_markdown(sm)
