"""Contradiction checkers and toxicity scorers on real models."""

import numpy as np
import pytest

from synthetic_persona_chat.models import contradicts, load_contradiction_checker, load_toxicity_scorer
from synthetic_persona_chat.models.contradiction import CrossEncoderNLI, LLMJudgeNLI


def test_profanity_check_scores_real_sentences():
    scorer = load_toxicity_scorer("profanity-check")
    s = scorer.scores(["I love walking my dog in the park.", "Shut up, you stupid piece of shit."])
    assert s[0] < 0.5 < s[1]
    assert "alt-profanity-check" in scorer.describe()["model"]


def test_llm_judge_on_bundled_smollm(smollm):
    judge = load_contradiction_checker("llm-judge", llm=smollm)
    assert isinstance(judge, LLMJudgeNLI)
    s = judge.scores(["I have never owned a pet.", "I like pizza."], ["I walk my dog daily.", "I like pizza."])
    assert s.shape == (2,) and set(np.unique(s)) <= {0.0, 0.5, 1.0}
    assert judge.describe()["judge"]["backend"] == "transformers"


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


def test_unknown_checkers_are_errors():
    with pytest.raises(ValueError, match="unknown contradiction checker"):
        load_contradiction_checker("magic:x")
    with pytest.raises(ValueError, match="needs an LLM"):
        load_contradiction_checker("llm-judge")
    with pytest.raises(ValueError, match="unknown toxicity scorer"):
        load_toxicity_scorer("magic")
