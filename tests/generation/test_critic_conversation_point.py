"""#28 item 2: the faithfulness expert's threshold is calibrated on clean conversations, not on pairs alone."""

from __future__ import annotations

import numpy as np
import pytest

from synthetic_persona_chat.generation.config import CriticConfig
from synthetic_persona_chat.generation.critic import faithfulness
from synthetic_persona_chat.generation.critic.calibrate import clean_conversation_threshold, conversation_point
from synthetic_persona_chat.generation.critic.judge import clean_rows
from synthetic_persona_chat.models.contradiction import load_contradiction_checker
from synthetic_persona_chat.models.nli_features import negate


@pytest.mark.parametrize("max_fpr, rejected", [(0.0, 0), (0.1, 1), (0.25, 2), (0.5, 5), (1.0, 10)])
def test_clean_conversation_threshold_rejects_at_most_the_share(max_fpr, rejected):
    worst = np.array([0.1, 0.99, 0.5, 0.97, 0.2, 0.3, 0.98, 0.4, 0.6, 0.7])
    cut = clean_conversation_threshold(worst, max_fpr)
    assert int((worst > cut).sum()) == rejected


class _Checker:
    """Scores a pair 0.99 when the statement says "never", else 0.1; carries its own calibration."""

    kind = "double"

    def __init__(self, calibration):
        self.calibration = calibration

    def scores(self, premises, hypotheses):
        return np.array([0.99 if "never" in h else 0.1 for h in hypotheses])


def _row(lines):
    return {"user1_persona": ["I like tea."], "user2_persona": ["I run."],
            "turns": [{"speaker": f"user {i % 2 + 1}", "text": t} for i, t in enumerate(lines)]}


def test_conversation_point_is_preferred_over_the_pair_level_strict_point():
    rows = [_row(["I drink tea daily.", "I run a lot."]) for _ in range(9)] + [_row(["I never drink tea.", "Ok."])]
    point = conversation_point(_Checker(None), rows, max_fpr=0.1, source="ten rows")
    assert point["rejected"] == 1 and point["n"] == 10 and point["conversations"] == "ten rows"
    checker = _Checker({"strict": {"threshold": 0.5}, "conversation": point})
    cut, source = faithfulness.threshold(checker, None)
    assert cut == point["threshold"] and "clean conversations (ten rows)" in source
    assert faithfulness.threshold(_Checker({"strict": {"threshold": 0.5}}), None)[0] == 0.5  # older records
    assert faithfulness.threshold(checker, 0.3) == (0.3, "configured")


@pytest.mark.slow  # loads the real MiniLM checker itself (no `minilm` fixture to mark it) and scores 150 conversations
def test_default_checker_on_the_packaged_sample_rejects_at_most_5_percent_and_catches_denials():
    """The issue's goal on real data: spc-sample:test (150), shipped checker and calibration (chosen on valid)."""
    checker = load_contradiction_checker("minilm-polarity")
    rows = clean_rows("spc-sample:test")[:150]
    cut, source = faithfulness.threshold(checker, None)
    assert "clean conversations (spc-sample:valid)" in source
    plans = [faithfulness.candidate_pairs(r, CriticConfig().max_nli_pairs)[0] for r in rows]
    clean = faithfulness.worst_scores(checker, plans)
    assert (clean > cut).mean() <= 0.05
    denied = [[*pairs, (pairs[0][0], negate(pairs[0][0]))] for pairs in plans[:40] if pairs]
    assert (faithfulness.worst_scores(checker, denied) > cut).mean() >= 0.95


def test_every_shipped_default_checker_variant_has_a_conversation_point():
    """`precision: auto` runs bf16 on a CPU with native bf16: a variant without the point fell back to the
    pair-level strict cut there, rejecting more clean conversations than the Critic's 4% (CI on such a CPU)."""
    from synthetic_persona_chat.models.contradiction import shipped_calibrations

    variants = {k: v for k, v in shipped_calibrations().items() if k.startswith("minilm-polarity")}
    assert {"minilm-polarity", "minilm-polarity/bf16", "minilm-polarity/onnx"} <= set(variants)
    missing = [k for k, v in variants.items() if "threshold" not in (v.get("conversation") or {})]
    assert not missing, f"no conversation point for {missing}: benchmarks/faithfulness_false_alarms.py --write-calibration"
