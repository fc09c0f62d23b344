"""The default toxicity scorer (models/toxicity_ensemble.py): the mean logit of its members, with the real shipped
members on the real MiniLM for what ships, and stand-in members for the arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from synthetic_persona_chat.models.toxicity import (calibrated_threshold, load_toxicity_scorer,
                                                   shipped_toxicity_calibration, toxicity_key)
from synthetic_persona_chat.models.toxicity_ensemble import DEFAULT_MEMBERS, EnsembleToxicityScorer, logit
from synthetic_persona_chat.models.toxicity_head import load_toxicity_labels


class Fixed:
    """A member that scores each text from a table, and says which labelled lines it learnt from."""

    kind = "fixed"

    def __init__(self, table: dict[str, float], keys: tuple[str, ...] = ()) -> None:
        self.table, self.trained_on = table, {"labelled_keys": list(keys)}

    def scores(self, texts):
        return np.array([self.table[t] for t in texts], dtype=np.float32)

    def describe(self):
        return {"kind": self.kind}


def test_the_score_is_the_sigmoid_of_the_mean_logit_and_one_doubter_pulls_it_down():
    sure, doubter = Fixed({"a": 0.99, "b": 0.9}, ("k1",)), Fixed({"a": 0.01, "b": 0.9}, ("k2",))
    ensemble = EnsembleToxicityScorer([sure, doubter])
    s = ensemble.scores(["a", "b"])
    assert s[0] == pytest.approx(0.5, abs=1e-6)  # logits +4.6 and -4.6 cancel: one scorer alone cannot flag a line
    assert s[1] == pytest.approx(0.9, abs=1e-6)  # agreement is kept
    assert ensemble.trained_on == {"labelled_keys": ["k1", "k2"]}  # recall counts only lines no member saw
    assert np.isfinite(logit(np.array([0.0, 1.0]))).all()  # saturated members stay finite


def test_an_ensemble_needs_members():
    with pytest.raises(ValueError, match="at least one member"):
        EnsembleToxicityScorer([])
    with pytest.raises(ValueError, match="members must be a list of toxicity specs, got 'minilm-toxicity'"):
        load_toxicity_scorer({"backend": "toxicity-ensemble", "members": "minilm-toxicity"})
    with pytest.raises(ValueError, match="unknown toxicity scorer 'magic'"):
        load_toxicity_scorer({"backend": "toxicity-ensemble", "members": ["magic"]})


def test_the_default_is_the_shipped_ensemble_and_is_calibrated():
    scorer = load_toxicity_scorer()
    assert scorer.kind == "toxicity-ensemble" and toxicity_key(scorer) == "toxicity-ensemble"
    assert [m.describe()["kind"] for m in scorer.members] == ["minilm-lora-toxicity", "minilm-lora-toxicity",
                                                              "minilm-toxicity"]
    assert scorer.members[1].adapter_file == "mined" and len(DEFAULT_MEMBERS) == 3
    cut, source = calibrated_threshold(scorer)
    assert source.startswith("calibrated") and 0.0 < cut < 1.0
    record = shipped_toxicity_calibration("toxicity-ensemble")
    # the release's figures (docs/critic.md): at most 2% of held-aside clean conversations, at least 95% caught
    assert record["conversation_fpr"]["rate"] <= 0.02 and record["inserted_recall"]["rate"] >= 0.95, record
    seen = set(scorer.trained_on["labelled_keys"])
    unseen = [it.text for it in load_toxicity_labels() if it.label == "toxic" and it.key not in seen]
    assert record["inserted_recall"]["n"] == len(unseen)
    caught = int((scorer.scores(unseen) > cut).sum())
    assert caught >= record["inserted_recall"]["hits"] - 2, (caught, record["inserted_recall"])


@pytest.mark.parametrize("spec", ["toxicity-ensemble", "minilm-lora-toxicity", "minilm-lora-toxicity:mined",
                                  "minilm-toxicity"])
def test_each_shipped_scorer_separates_plain_cases_at_its_shipped_cut(spec):
    scorer = load_toxicity_scorer(spec)
    cut, source = calibrated_threshold(scorer)
    assert source.startswith("calibrated"), source
    offensive = ["You are a waste of oxygen.", "Shut your mouth, you pathetic moron.", "I will hurt you."]
    clean = ["I hate rainy days.", "I'm a single mom of two boys.", "So, what do you want to be when you grow up?"]
    scores = scorer.scores(offensive + clean)
    assert (scores[:3] > cut).all() and (scores[3:] < cut).all(), (scores, cut)


def test_other_members_make_another_calibration_key():
    scorer = load_toxicity_scorer({"backend": "toxicity-ensemble", "members": ["minilm-lora-toxicity",
                                                                              "minilm-toxicity"]})
    assert toxicity_key(scorer) == "toxicity-ensemble:minilm-lora-toxicity+minilm-toxicity"
    assert calibrated_threshold(scorer) == (0.5, "uncalibrated default")
