"""The default Critic on real SPC conversations and on corrupted copies of them (real models throughout).

48 SPC test conversations without placeholders, and one corrupted copy of each per corruption
(`corruptions.py`). The default Critic's filters (structural, faithfulness with the default
contradiction checker, toxicity with the default minilm-toxicity) judge them through `judge_conversations`,
the API behind `spc critic judge`. Required: at least 90% of each structural and the toxic
corruption rejected, at least 70% of the clean conversations kept. Persona negation depends on
the checker: its rate is measured and printed, and must beat the clean conversations' rejection rate.
"""

from __future__ import annotations

import json
import random

import pytest

from synthetic_persona_chat.config import ModelsConfig, load_config
from synthetic_persona_chat.context import RunContext
from synthetic_persona_chat.generation.config import CriticConfig
from synthetic_persona_chat.generation.critic.judge import judge_conversations
from synthetic_persona_chat.readers import read_spc_csv
from synthetic_persona_chat.rundir import RunDir
from synthetic_persona_chat.text import placeholders

from .corruptions import CORRUPTIONS

SAMPLE = 48
MUST_REJECT = ("degenerate loop", "non-alternating", "placeholder", "toxic line", "too short")


@pytest.fixture(scope="module")
def sets(spc_dir):
    convs, _ = read_spc_csv(spc_dir / "Synthetic-Persona-Chat_test.csv")
    clean = [c for c in convs if not any(placeholders(t.text) for t in c.turns)]
    clean = random.Random(0).sample(clean, SAMPLE)
    out = {"clean": clean}
    for name, corrupt in CORRUPTIONS.items():
        rng = random.Random(f"corrupt:{name}")
        out[name] = [x for x in (corrupt(c, rng) for c in clean) if x is not None]
    return out


def measure(sets, critic: CriticConfig, tmp_path_factory) -> dict:
    """Rejection rate per set (and per expert) with the default models, through the `spc critic judge` API."""
    config = load_config(None)  # the defaults: what a user gets
    ctx = RunContext(config, RunDir(tmp_path_factory.mktemp("critic-judge")).init(config))
    try:
        everything = [c for group in sets.values() for c in group]
        records = judge_conversations(everything, ctx, critic)
        checker = ctx.nli.describe() if "nli" in ctx.__dict__ else None
    finally:
        ctx.close()
    out, pos = {}, 0
    for name, group in sets.items():
        mine = records[pos:pos + len(group)]
        pos += len(group)
        out[name] = {"n": len(group), "rejected": sum(not r["passed"] for r in mine) / len(group),
                     "by_expert": _rejections_by_expert(mine)}
    print("\ncritic rejection rates:", json.dumps({"experts": critic.experts, "checker": checker, **out},
                                                  indent=1, default=str))
    return out


def _rejections_by_expert(records):
    counts = {}
    for r in records:
        for v in r["verdicts"]:
            counts[v["expert"]] = counts.get(v["expert"], 0) + (v["passed"] is False)
    return counts


@pytest.fixture(scope="module")
def model_free_rates(sets, tmp_path_factory):
    """The default structural and toxicity experts (minilm-toxicity): no contradiction checker needed."""
    return measure(sets, CriticConfig(experts=["structural", "toxicity"]), tmp_path_factory)


@pytest.fixture(scope="module")
def full_rates(sets, tmp_path_factory):
    """The whole default Critic, faithfulness with the default checker on every utterance×attribute pair."""
    if str(ModelsConfig().nli).startswith("llm-judge"):
        pytest.skip("the default contradiction checker is still the LLM judge (~1.6 pairs/s on 2 cores): the "
                    "~3,400 pairs of 48 conversations would take ~35 minutes; runs with the calibrated default")
    return measure(sets, CriticConfig(), tmp_path_factory)


@pytest.mark.parametrize("corruption", MUST_REJECT)
def test_structural_and_toxicity_experts_reject_corruptions(model_free_rates, corruption):
    assert model_free_rates[corruption]["rejected"] >= 0.9, model_free_rates[corruption]
    assert model_free_rates["clean"]["rejected"] <= 0.3, model_free_rates["clean"]  # measured 8.3%


@pytest.mark.slow
@pytest.mark.parametrize("corruption", MUST_REJECT)
def test_default_critic_rejects_corruptions(full_rates, corruption):
    assert full_rates[corruption]["rejected"] >= 0.9, full_rates[corruption]


@pytest.mark.slow
def test_default_critic_keeps_clean_conversations(full_rates):
    """At the checker's best-F1 (per-pair) cut this kept 60.4%; the Critic's high-precision cut keeps more."""
    assert full_rates["clean"]["rejected"] <= 0.3, full_rates["clean"]


@pytest.mark.slow
def test_persona_negation_is_measured(full_rates):
    negation = full_rates["persona negation"]
    assert negation["n"] >= SAMPLE * 0.8  # the negation rules fit most SPC personas
    assert negation["by_expert"].get("faithfulness", 0) / negation["n"] > \
        full_rates["clean"]["by_expert"].get("faithfulness", 0) / full_rates["clean"]["n"]
