"""The JSON blocks typed as TypedDicts (`DetectionJson`, `PaperReferenceJson`) and the result fields typed
`JsonObject` or `dict[str, str]` hold what the dict-era code wrote: the fixture is the code's output before
#25 item 3 (a classifier detection test on the packaged sample, the paper's reference figures), compared as
JSON text, and the result files carrying them round-trip unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from synthetic_persona_chat.eval.detection import detection_test
from synthetic_persona_chat.eval.nup_result import NUPResult
from synthetic_persona_chat.eval.paper_nup import as_json
from synthetic_persona_chat.eval.quality_result import QualityResult
from synthetic_persona_chat.eval.report import detection_markdown
from synthetic_persona_chat.readers import read_spc_csv
from synthetic_persona_chat.sample_data import sample_path

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "reports" / "detection_sample.json"


def _expected() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def _text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_the_detection_test_gives_the_object_the_dict_era_code_gave():
    convs, _ = read_spc_csv(sample_path("test"), split="test")
    for i, conv in enumerate(convs[10:22]):
        conv.iteration = i % 2 + 1
    det = detection_test(convs[:10], convs[10:22], "classifier", seed=0)
    assert _text(det) == _text(_expected()["detection"])


def test_the_paper_reference_is_the_object_the_dict_era_code_gave():
    assert _text(as_json()) == _text(_expected()["paper_reference"])


def test_quality_json_with_a_detection_test_round_trips_and_renders():
    det = {**_expected()["detection"], "real": "SPC test", "synthetic": "generated", "real_source": None}
    data = {"config": {"seed": 0}, "datasets": {}, "detection": det, "models": {"llm": None}}
    result = QualityResult.from_json(data)
    assert _text(result.to_json()) == _text(data)
    md = detection_markdown(result.detection)
    assert "| 1 | 2 |" in md and "| all | 6 |" in md and "real = `SPC test`" in md


def test_nup_json_with_the_paper_reference_and_pushes_round_trips():
    data = {"config": {"seed": 0, "baselines": ["random"]}, "train_sets": {}, "test_sets": {}, "cells": [],
            "baselines": [], "models": {}, "comparisons": [], "preset": "small",
            "paper_reference": _expected()["paper_reference"],
            "pushed": {"SPC": "https://huggingface.co/me/ranker/commit/0123abc"}}
    result = NUPResult.from_json(data)
    assert result.paper_reference["label"] == "paper (published, other models)"
    assert result.pushed == {"SPC": "https://huggingface.co/me/ranker/commit/0123abc"}
    assert _text(result.to_json()) == _text(data)
