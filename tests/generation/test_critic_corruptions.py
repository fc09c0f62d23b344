"""The default Critic on real SPC conversations and on corrupted copies of them (real models throughout).

48 SPC test conversations without placeholders, and one corrupted copy of each per corruption
(`corruptions.py`). The default Critic's filters (structural, faithfulness with the default
contradiction checker, toxicity with profanity-check) judge them through `judge_conversations`,
the API behind `spc critic judge`. Required: at least 90% of each structural and the toxic
corruption rejected, at least 70% of the clean conversations kept. Persona negation depends on
the checker: its rate is measured and printed, and must beat the clean conversations' rejection rate.
"""

from __future__ import annotations

import json
import random

import pytest

from synthetic_persona_chat.config import load_config
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
def rates(spc_dir, tmp_path_factory):
    convs, _ = read_spc_csv(spc_dir / "Synthetic-Persona-Chat_test.csv")
    clean = [c for c in convs if not any(placeholders(t.text) for t in c.turns)]
    clean = random.Random(0).sample(clean, SAMPLE)
    sets = {"clean": clean}
    for name, corrupt in CORRUPTIONS.items():
        rng = random.Random(f"corrupt:{name}")
        sets[name] = [x for x in (corrupt(c, rng) for c in clean) if x is not None]
    config = load_config(None)  # the defaults: what a user gets
    ctx = RunContext(config, RunDir(tmp_path_factory.mktemp("critic-judge")).init(config))
    try:
        everything = [c for group in sets.values() for c in group]
        records = judge_conversations(everything, ctx, CriticConfig())
        checker = ctx.nli.describe() if "nli" in ctx.__dict__ else None
    finally:
        ctx.close()
    out, pos = {}, 0
    for name, group in sets.items():
        mine = records[pos:pos + len(group)]
        pos += len(group)
        out[name] = {"n": len(group), "rejected": sum(not r["passed"] for r in mine) / len(group),
                     "by_expert": _rejections_by_expert(mine)}
    print("\ncritic rejection rates:", json.dumps({"checker": checker, **out}, indent=1, default=str))
    return out


def _rejections_by_expert(records):
    counts = {}
    for r in records:
        for v in r["verdicts"]:
            counts[v["expert"]] = counts.get(v["expert"], 0) + (v["passed"] is False)
    return counts


@pytest.mark.slow
@pytest.mark.parametrize("corruption", MUST_REJECT)
def test_default_critic_rejects_corruptions(rates, corruption):
    assert rates[corruption]["rejected"] >= 0.9, rates[corruption]


@pytest.mark.slow
def test_default_critic_keeps_clean_conversations(rates):
    assert rates["clean"]["rejected"] <= 0.3, rates["clean"]


@pytest.mark.slow
def test_persona_negation_is_measured(rates):
    negation = rates["persona negation"]
    assert negation["n"] >= SAMPLE * 0.8  # the negation rules fit most SPC personas
    assert negation["by_expert"].get("faithfulness", 0) / negation["n"] > \
        rates["clean"]["by_expert"].get("faithfulness", 0) / rates["clean"]["n"]
