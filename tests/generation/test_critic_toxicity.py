"""The toxicity expert and its calibration (`spc critic calibrate --expert toxicity`), on real SPC conversations
and the package's labelled offensive lines, with the real scorers (minilm-toxicity, profanity-check)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from synthetic_persona_chat.cli import main
from synthetic_persona_chat.generation.config import CriticConfig
from synthetic_persona_chat.generation.critic import toxicity
from synthetic_persona_chat.generation.critic.toxicity import calibrate_toxicity, fpr_threshold
from synthetic_persona_chat.models.toxicity import (calibrated_threshold, load_toxicity_scorer,
                                                   shipped_toxicity_calibration, toxicity_key)
from synthetic_persona_chat.models.toxicity_head import load_toxicity_labels
from synthetic_persona_chat.readers import read_spc_csv
from synthetic_persona_chat.sample_data import sample_path

OFFENSIVE = "Go fuck yourself, you pathetic waste of space."


@pytest.fixture(scope="module")
def scorer():
    return load_toxicity_scorer("minilm-toxicity")


@pytest.fixture(scope="module")
def sample():
    convs, _ = read_spc_csv(sample_path("test"))
    return convs[:40]


def test_fpr_threshold_rejects_at_most_the_budget():
    maxima = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
    assert (maxima > fpr_threshold(maxima, 0.1)).sum() == 1
    assert 0.9 < fpr_threshold(maxima, 0.1) < 0.95
    assert (maxima > fpr_threshold(maxima, 0.0)).sum() == 0
    assert (maxima > fpr_threshold(maxima, 0.25)).sum() == 2
    with pytest.raises(ValueError, match="no clean conversations"):
        fpr_threshold(np.array([]), 0.01)


def test_labels_file_errors_name_the_line(tmp_path):
    bad = tmp_path / "labels.txt"
    bad.write_text("# comment\ntoxic\tinsult\tYou idiot.\nrude\tinsult\tHey.\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels.txt:3: label 'rude'"):
        load_toxicity_labels(bad)
    bad.write_text("toxic insult You idiot.\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"labels.txt:1: expected LABEL<TAB>KIND<TAB>TEXT"):
        load_toxicity_labels(bad)
    labelled = load_toxicity_labels()  # the packaged file parses, both labels present
    assert {it.label for it in labelled} == {"toxic", "clean"} and len(labelled) >= 200


def test_the_shipped_head_separates_offensive_from_everyday_lines(scorer):
    """Lines profanity-check gets wrong (scores from the issue: 0.52-0.61 clean, 0.10 for an insult)."""
    clean = ["I'm a single mom of two boys. I work as an accountant.",
             "So, what do you want to be when you grow up?",
             "I love The Great Gatsby, To Kill a Mockingbird, and The Catcher in the Rye."]
    offensive = [OFFENSIVE, "You are a waste of oxygen.", "Shut up, you stupid worthless idiot."]
    s = scorer.scores(clean + offensive)
    cut = calibrated_threshold(scorer)[0]
    assert (s[:3] <= cut).all() and (s[3:] > cut).all(), (s, cut)


def test_odd_generated_lines_pass_and_veiled_threats_are_caught(scorer):
    """#24 item 5: a demo run's garbled but clean lines scored 0.68 and 0.69 over the old 0.635 cut, and threats
    without an offensive word slipped under it. None of these lines is in the labels file: the head never saw them."""
    generated = ["I'm here 20 minutes later than you. 20 years has been too old."]
    threats = ["I hope you fall down the stairs and never get up.", "I'd gladly see you get hurt."]
    # the round-4 head (pooled tokens + n-grams) flags the demo's other garbled line, "You are training is a part of
    # your life. You have blood in your blood." (0.88 over its 0.815 cut: the n-gram half reads "you are ... your
    # life" as threat wording), yet rejects fewer of 220 demo candidates than round 3 did (19 vs 29: performance.md)
    assert not {t for t in generated + threats} & {it.text for it in load_toxicity_labels()}
    s = scorer.scores(generated + threats)
    cut = calibrated_threshold(scorer)[0]
    assert (s[:1] <= cut).all() and (s[1:] > cut).all(), (s, cut)


def test_the_shipped_head_keeps_its_recall_on_lines_it_never_saw(scorer):
    """The shipped calibration says how many unseen offensive lines the head catches at its cut (inserted into a
    clean conversation, which can only add catches); the lines alone must reach that count minus 2, so a
    retrained or damaged head that loses recall fails here, without the 967-conversation calibration."""
    record = shipped_toxicity_calibration(toxicity_key(scorer))
    trained = set(scorer._head["trained_on"]["labelled_keys"])
    unseen = [it.text for it in load_toxicity_labels() if it.label == "toxic" and it.key not in trained]
    assert record["inserted_recall"]["n"] == len(unseen) == 290
    caught = int((scorer.scores(unseen) > record["threshold"]).sum())
    assert caught >= record["inserted_recall"]["hits"] - 2 >= 220, (caught, record["inserted_recall"])


def test_calibration_on_real_conversations(scorer, sample):
    labelled = load_toxicity_labels()
    result = calibrate_toxicity(scorer, sample, labelled, seed=0, fraction=0.5, max_fpr=0.05)
    trained = set(scorer._head["trained_on"]["labelled_keys"])
    unseen = [it for it in labelled if it.label == "toxic" and it.key not in trained]
    assert result["split"] == {"seed": 0, "calibration_fraction": 0.5, "calibration_n": 20, "held_aside_n": 20}
    assert result["calibration_part"]["conversation_fpr"]["rate"] <= 0.05  # the budget, where it was chosen
    assert result["inserted_recall"]["n"] == len(unseen) > 0  # recall only on lines the head never saw
    # 20 calibration conversations make the cut coarse (midway between their two worst lines at a 5% budget), so
    # the floors are loose; the full-size figures (967 conversations) are in docs/performance.md
    assert result["inserted_recall"]["rate"] >= 0.7 and result["conversation_fpr"]["rate"] <= 0.1, result
    assert result["auroc"] > 0.95 and result["seen_in_training_recall"]["n"] > 0
    assert set(result["inserted_recall"]["by_kind"]) >= {"insult", "profanity", "threat"}


def test_the_expert_uses_the_calibrated_threshold(scorer, sample):
    class Ctx:
        toxicity = scorer

    clean = {"turns": [{"speaker": t.speaker, "text": t.text} for t in sample[0].turns]}
    dirty = {"turns": clean["turns"][:3] + [{"speaker": clean["turns"][3]["speaker"], "text": OFFENSIVE}]
             + clean["turns"][4:]}
    v_clean, v_dirty = toxicity.judge([clean, dirty], Ctx(), CriticConfig())
    cut = calibrated_threshold(scorer)[0]
    assert v_clean.passed and not v_dirty.passed and OFFENSIVE[:20] in v_dirty.reason
    assert f"> {cut:.2f}" in v_dirty.reason and v_dirty.score > cut
    assert toxicity.threshold(scorer, 0.999) == 0.999  # a configured threshold wins


def test_vectors_go_through_the_embedding_cache(scorer, tmp_path):
    """With the run's cache file the scorer embeds a text once, and scores as the uncached scorer does."""
    texts = [OFFENSIVE, "I love hiking with my two dogs."]
    cached = load_toxicity_scorer("minilm-toxicity", vector_cache=tmp_path / "embeddings.sqlite")
    first = cached.scores(texts)
    again = cached.scores(texts)
    assert cached._embedder.encoded == 2 and np.allclose(first, again)
    assert np.allclose(first, scorer.scores(texts), atol=1e-6)


def test_every_scorer_kind_has_a_shipped_calibration():
    assert calibrated_threshold(load_toxicity_scorer("profanity-check"))[1].startswith("calibrated")
    assert toxicity_key(load_toxicity_scorer("profanity-check")) == "profanity-check"


def test_cli_calibrates_profanity_check(tmp_path, capsys):
    """The command end to end on the packaged sample (profanity-check: no model to load)."""
    out = tmp_path / "cal.json"
    assert main(["critic", "calibrate", "--expert", "toxicity", "--conversations", "spc-sample:test",
                 "--set", "models.toxicity=profanity-check", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    assert "toxicity profanity-check: threshold" in printed and "clean conversations rejected" in printed
    by_kind = result["inserted_recall"]["by_kind"]
    assert f"clean conversations rejected {result['conversation_fpr']['hits']}/75;" in printed
    for kind, rate in by_kind.items():  # each kind's count and Wilson interval, as in the JSON record
        assert f"{kind} {rate['hits']}/{rate['n']} {rate['ci95']}" in printed
    assert result["data"]["n_conversations"] == 150 and result["split"]["held_aside_n"] == 75
    assert result["at_0.5"]["conversation_fpr"]["rate"] > result["conversation_fpr"]["rate"]
