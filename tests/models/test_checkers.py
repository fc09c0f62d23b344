"""Contradiction checkers and toxicity scorers on real models."""

import json

import numpy as np
import pytest

from synthetic_persona_chat.config import ModelsConfig
from synthetic_persona_chat.generation.critic.calibrate import auroc, load_labels, prf, split_labels
from synthetic_persona_chat.models import (calibration_of, contradicts, default_threshold,
                                           load_contradiction_checker, load_toxicity_scorer)
from synthetic_persona_chat.models.contradiction import CrossEncoderNLI, LLMJudgeNLI
from synthetic_persona_chat.models.contradiction_polarity import PolarityNLI
from synthetic_persona_chat.models.nli_features import FEATURE_NAMES
from tests.conftest import SHARED_DATA

PUBLIC = SHARED_DATA / "faithfulness" / "public.jsonl"


def test_profanity_check_scores_real_sentences():
    scorer = load_toxicity_scorer("profanity-check")
    s = scorer.scores(["I love walking my dog in the park.", "Shut up, you stupid piece of shit."])
    assert s[0] < 0.5 < s[1]
    assert "alt-profanity-check" in scorer.describe()["model"]


def test_llm_judge_on_bundled_smollm(smollm):
    """transformers exposes logits, so the judge is scored by P(yes) vs P(no); greedy stays selectable."""
    judge = load_contradiction_checker("llm-judge", llm=smollm)
    assert isinstance(judge, LLMJudgeNLI) and judge.scoring == "logprob"
    premises, hypotheses = ["I have never owned a pet.", "I like pizza."], ["I walk my dog daily.", "I like pizza."]
    s = judge.scores(premises, hypotheses)
    assert s.shape == (2,) and ((0 < s) & (s < 1)).all() and s[0] != s[1]  # graded, not 0/0.5/1
    info = judge.describe()
    assert info["judge"]["backend"] == "transformers" and info["scoring"] == "logprob"
    assert info["calibration"]["auroc"] == calibration_of(judge)["auroc"]  # measured, shipped
    greedy = load_contradiction_checker({"backend": "llm-judge", "scoring": "greedy"}, llm=smollm)
    assert set(np.unique(greedy.scores(premises, hypotheses))) <= {0.0, 0.5, 1.0}


def test_next_token_logprobs_batched_matches_single(smollm):
    chats = [[{"role": "user", "content": q}] for q in
             ("Is the sky blue? Answer yes or no.", "Say one word.", "Is fire cold? Answer yes or no, nothing else.")]
    batch = smollm.next_token_logprobs(chats, ["yes", "no"])
    assert batch.shape == (3, 2) and (batch <= 0).all()
    alone = smollm.next_token_logprobs(chats[2:], ["yes", "no"])
    assert np.allclose(batch[2], alone[0], atol=1e-3)  # left padding does not change the answer
    with pytest.raises(ValueError, match="no tokens"):
        smollm.next_token_logprobs(chats[:1], [""])


def test_default_checker_is_better_than_chance_on_held_aside_labels():
    """The real offline default on the held-aside half of the hand-labelled file (never trained on it)."""
    checker = load_contradiction_checker(None)
    assert isinstance(checker, PolarityNLI) and ModelsConfig().nli == "minilm-polarity"
    items = load_labels(PUBLIC)
    _cal, held = split_labels(items, seed=0)
    s = checker.scores([i.persona for i in held], [i.utterance for i in held])
    positive = np.array([i.label == "contradiction" for i in held])
    assert auroc(positive, s) >= 0.7  # measured 0.756 (README)
    cal = calibration_of(checker)
    assert cal["n"] == len(held) and cal["evaluated_on"] == "held-aside"
    assert prf(positive, s, default_threshold(checker))["f1"] == pytest.approx(cal["f1"], abs=0.02)
    assert checker.describe()["calibration"]["threshold"] == default_threshold(checker)
    why = checker.explain("I have two dogs.", "I don't have any pets.")
    assert set(why) == set(FEATURE_NAMES) and why["polarity_mismatch"] > 0


def test_user_calibration_file_replaces_shipped_one(tmp_path):
    path = tmp_path / "cal.json"
    path.write_text(json.dumps({"checker": {"kind": "x"}, "threshold": 0.9, "auroc": 0.8, "f1": 0.7, "n": 10}))
    checker = load_contradiction_checker({"backend": "minilm-polarity", "calibration": str(path)})
    assert default_threshold(checker) == 0.9 and calibration_of(checker)["n"] == 10
    assert contradicts(checker, ["I have a cat."], ["I have a cat."]) == [False]
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="not a calibration file"):
        load_contradiction_checker({"backend": "minilm-polarity", "calibration": str(tmp_path / "bad.json")})


def test_cross_encoder_reads_contradiction_label_from_config(tmp_path):
    """A real CrossEncoder (bundled MiniLM body, fresh 3-way head) saved and loaded from disk."""
    from sentence_transformers import CrossEncoder

    from synthetic_persona_chat.models.bundled import minilm_dir

    ce = CrossEncoder(str(minilm_dir()), num_labels=3)
    ce.model.config.id2label = {0: "entailment", 1: "neutral", 2: "contradiction"}
    ce.model.config.label2id = {v: k for k, v in ce.model.config.id2label.items()}
    ce.save(str(tmp_path / "nli"))
    checker = load_contradiction_checker(f"cross-encoder:{tmp_path / 'nli'}")
    assert isinstance(checker, CrossEncoderNLI) and checker.contradiction_index == 2
    s = checker.scores(["I have a cat."] * 2, ["I have no pets.", "I have a cat."])
    assert s.shape == (2,) and ((0 <= s) & (s <= 1)).all()
    assert len(contradicts(checker, ["a"], ["b"], threshold=2.0)) == 1
    assert checker.calibration is None and default_threshold(checker) == 0.5  # never measured: says so


def test_unknown_checkers_are_errors():
    with pytest.raises(ValueError, match="unknown contradiction checker"):
        load_contradiction_checker("magic:x")
    with pytest.raises(ValueError, match="needs an LLM"):
        load_contradiction_checker("llm-judge")
    with pytest.raises(ValueError, match="scoring must be"):
        LLMJudgeNLI(llm=None, scoring="vibes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown toxicity scorer"):
        load_toxicity_scorer("magic")


def test_models_check_nli_probe_prints_measured_figures():
    from synthetic_persona_chat.config import Config
    from synthetic_persona_chat.models.check import _nli_probe, calibration_note

    info, answer = _nli_probe(Config().to_dict())
    assert info["kind"] == "minilm-polarity" and "measured AUROC 0.7" in answer and "WARNING" not in answer
    assert "WARNING: AUROC < 0.7" in calibration_note({"auroc": 0.4, "f1": 0.28, "n": 99})
    assert "not calibrated" in calibration_note(None)
