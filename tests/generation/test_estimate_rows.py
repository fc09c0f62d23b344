"""`spc generate --estimate` builds a typed `Estimate` (#25 item 3); its JSON (printed, and stored as
RUN/estimate.json) is what the code wrote before the type: fixtures written by that code."""

import json
from pathlib import Path

from synthetic_persona_chat.config import load_config
from synthetic_persona_chat.generation.commands import load_preset
from synthetic_persona_chat.generation import estimate as estimate_module
from synthetic_persona_chat.generation.estimate import Estimate, estimate

from .helpers import config_dict, spc_pairs, write_pairs

FIXTURES = Path(__file__).parents[1] / "fixtures" / "summaries"


def priced_config(tmp_path):
    """The config estimate_priced.json was written from: an HTTP backend, the LLM judge, prices."""
    data = config_dict(write_pairs(tmp_path / "pairs.parquet", spc_pairs(10)), iterations=2, candidates=3)
    data["models"].update(llm="openai:m@http://127.0.0.1:9/v1", max_concurrency=16, nli="llm-judge")
    data["estimate"] = {"prompt_price_per_million": 1.0, "completion_price_per_million": 2.0, "pass_rate": 1.0,
                        "seconds_per_request": 0.5}
    return load_config(None, base=data)


def test_the_estimate_is_written_as_before(tmp_path, monkeypatch):
    # estimate_tiny.json was written when the bundled model's pass-rate prior was 0.25: the prior is a
    # measurement and moves (test_estimate.py checks its value); the format this test guards does not
    monkeypatch.setattr(estimate_module, "BUNDLED_PASS_RATE", 0.25)
    # and before retries were counted and the per-turn tokens measured (20 was the guess): figures, not format
    monkeypatch.setattr(estimate_module, "TOKENS_PER_TURN", 20)
    monkeypatch.setattr(estimate_module, "expected_attempts", lambda *_: 1.0)
    for name, config in (("priced", priced_config(tmp_path)), ("tiny", load_config(None, base=load_preset("tiny")))):
        text = (FIXTURES / f"estimate_{name}.json").read_text(encoding="utf-8")
        assert json.dumps(estimate(config), indent=2) == text, name


def test_a_stored_estimate_reads_as_typed_rows():
    est = Estimate.from_json(json.loads((FIXTURES / "estimate_priced.json").read_text(encoding="utf-8")))
    assert [line.role for line in est.lines] == ["generator", "contradiction judge", "quality experts"]
    assert est.total["calls"] == sum(line.calls for line in est.lines) == 430
    assert (est.cost.currency, est.wall_assumes["concurrency"]) == ("USD", 16) and not est.extra
    assert json.dumps(est.to_json(), indent=2) == (FIXTURES / "estimate_priced.json").read_text(encoding="utf-8")
