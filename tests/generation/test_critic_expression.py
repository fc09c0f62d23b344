"""The persona-expression gate (critic/expression.py) on the real MiniLM and real SPC conversations."""

from types import SimpleNamespace

import numpy as np
import pytest

from synthetic_persona_chat.config import load_config
from synthetic_persona_chat.coverage import attribute_similarities
from synthetic_persona_chat.eval.quality import persona_coverage
from synthetic_persona_chat.generation.commands import load_preset
from synthetic_persona_chat.generation.config import PAPER_EXPERTS, CriticConfig, critic_config
from synthetic_persona_chat.generation.critic import expression
from synthetic_persona_chat.readers import read_spc_csv
from synthetic_persona_chat.records import Conversation
from tests.conftest import SPC_TEST

USER1 = ["I am a museum tour guide.", "I have two cats.", "I love baking bread.", "I grew up in Ohio.",
         "I play the violin.", "I am afraid of heights."]
USER2 = ["I am a nurse.", "I run marathons.", "I have three brothers."]


def row(lines: list[tuple[str, str]], user1=USER1, user2=USER2) -> dict:
    return {"user1_persona": user1, "user2_persona": user2,
            "turns": [{"speaker": s, "text": t} for s, t in lines]}


TINY_RUN_WINNER = row([("user 1", "Hi, I'm Sarah's partner."), ("user 2", "Hi, I'm Emily's partner."),
                       ("user 1", "I'm a little girl and I live in the cloud."), ("user 2", "That is nice.")])
EXPRESSIVE = row([("user 1", "Hi! I work as a tour guide at the art museum downtown."),
                  ("user 2", "Cool, I'm a nurse at the children's hospital."),
                  ("user 1", "Do you have pets? I have two cats at home."),
                  ("user 2", "No pets, I'm training for my next marathon.")])


def ctx_with(minilm):
    return SimpleNamespace(embedder=minilm)


@pytest.mark.parametrize("n, share, need", [(5, 0.2, 1), (3, 0.2, 1), (6, 0.2, 2), (6, 0.0, 0), (4, 0.5, 2)])
def test_required_attributes(n, share, need):
    assert expression.required(n, share) == need


def test_the_tiny_runs_persona_free_winner_fails_and_an_expressive_one_passes(minilm):
    tiny, good = expression.judge([TINY_RUN_WINNER, EXPRESSIVE], ctx_with(minilm), CriticConfig())
    assert not tiny.passed and tiny.score == 0.0
    assert "user 1 0/6 (need 2)" in tiny.reason and "closest attribute" in tiny.reason
    assert good.passed and good.score > 0
    assert "user 1 2/6 (need 2)" in good.reason and "user 2 " in good.reason


def test_the_tiny_preset_runs_the_gate_before_the_quality_judges():
    """Issue #28: every tiny winner expresses its personas, so the preset must really turn the gate on."""
    cfg = critic_config(load_config(None, base=load_preset("tiny")))
    assert cfg.experts == ["structural", "faithfulness", "toxicity", "expression", "quality"]
    assert "expression" not in PAPER_EXPERTS  # the preset, not the default, turns it on
    assert (cfg.min_expressed_share, cfg.expression_threshold, cfg.expression_measure) == (0.2, 0.5, "embedding")


def test_share_zero_turns_the_gate_off_but_still_counts(minilm):
    v = expression.judge([TINY_RUN_WINNER], ctx_with(minilm), CriticConfig(min_expressed_share=0.0))[0]
    assert v.passed and "user 1 0/6 (need 0)" in v.reason


def test_gate_and_eval_coverage_are_one_measure(minilm):
    """A conversation's eval coverage is the share of attributes the gate counts as expressed."""
    conv = Conversation(user1_persona=USER1, user2_persona=USER2,
                        turns=[{"speaker": t["speaker"], "text": t["text"]} for t in EXPRESSIVE["turns"]])
    sims = attribute_similarities([(USER1, [t["text"] for t in EXPRESSIVE["turns"] if t["speaker"] == "user 1"]),
                                   (USER2, [t["text"] for t in EXPRESSIVE["turns"] if t["speaker"] == "user 2"])],
                                  minilm)
    expressed = sum(int((s >= 0.5).sum()) for s in sims)
    assert persona_coverage([conv], minilm, 0.5).coverage == pytest.approx(expressed / (len(USER1) + len(USER2)))


def test_a_silent_speaker_expresses_nothing(minilm):
    one_sided = row([("user 1", "I have two cats."), ("user 1", "I play the violin.")])
    v = expression.judge([one_sided], ctx_with(minilm), CriticConfig())[0]
    assert not v.passed and "user 2 0/3 (need 1)" in v.reason
    assert attribute_similarities([(["a"], [])], minilm)[0].tolist() == [0.0]


def test_default_gate_keeps_most_real_spc_conversations(minilm):
    """Measured on the 150 SPC test conversations: 73% of released conversations pass the default gate (each
    speaker expresses >= 1 of ~5 attributes at the eval's 0.5 cosine); share 0.4 keeps 33%. Here 60 of them."""
    convs = read_spc_csv(SPC_TEST)[0][:60]
    plans = [[(sp, (list(c.persona_of(sp)), [t.text for t in c.turns if t.speaker == sp]))
              for sp in ("user 1", "user 2")] for c in convs]
    sims = attribute_similarities([g for plan in plans for _, g in plan], minilm)

    def kept(cfg):
        return np.mean([expression.verdict([(sp, g[0], s) for (sp, g), s in zip(plan, sims[2 * i:2 * i + 2])],
                                           cfg).passed for i, plan in enumerate(plans)])

    default, strict = kept(CriticConfig()), kept(CriticConfig(min_expressed_share=0.4))
    assert 0.6 <= default <= 0.9 and strict < default - 0.2


class LogprobJudge:
    """Next-token log-probs like the transformers backend: "yes" likely when the conversation mentions the
    attribute's last word, a 0.3 prior with no conversation."""

    backend = "fake-logprobs"

    def __init__(self):
        self.chats = []

    def next_token_logprobs(self, chats, candidates):
        self.chats += chats
        rows = []
        for chat in chats:
            text = chat[-1]["content"]
            conv, attr = text.split("\n\nFrom this conversation")[0], text.split('say: "')[1].split('"')[0]
            word = attr.rstrip(".").split()[-1].lower()
            p = 0.3 if conv == "(no conversation shown)" else (0.9 if word in conv.lower() else 0.2)
            rows.append([np.log(p), np.log(1 - p)] * (len(candidates) // 2))
        return np.array(rows, dtype=np.float32)


def test_llm_measure_is_the_papers_lift_over_the_prior():
    judge = LogprobJudge()
    cfg = CriticConfig(expression_measure="llm")
    good, tiny = expression.judge([EXPRESSIVE, TINY_RUN_WINNER], SimpleNamespace(llm=judge), cfg)
    assert good.passed and "P(yes|D) - P(yes) >= 0.0" in good.reason and "user 1 2/6 (need 2)" in good.reason
    assert not tiny.passed and "user 1 0/6" in tiny.reason
    priors = [c for c in judge.chats if c[-1]["content"].startswith("(no conversation shown)")]
    assert len(priors) == len(USER1) + len(USER2)  # one prior per attribute, shared by both candidates


def test_llm_measure_needs_logprobs_and_an_unknown_measure_is_refused():
    from synthetic_persona_chat.config import ConfigError
    from tests.fakes import ScriptedLLM

    with pytest.raises(ConfigError, match="next-token log-probabilities"):
        expression.judge([EXPRESSIVE], SimpleNamespace(llm=ScriptedLLM(lambda c, i: "yes")),
                         CriticConfig(expression_measure="llm"))
    with pytest.raises(ConfigError, match="embedding or llm"):
        expression.judge([EXPRESSIVE], SimpleNamespace(), CriticConfig(expression_measure="vibes"))


def test_llm_measure_with_the_bundled_smollm2(smollm):
    """The real transformers backend gives the log-probs: each verdict counts every attribute of both users."""
    ctx = SimpleNamespace(llm=smollm)
    v = expression.judge([EXPRESSIVE], ctx, CriticConfig(expression_measure="llm"))[0]
    assert "P(yes|D) - P(yes)" in v.reason and "user 1 " in v.reason and "/6 (need 2)" in v.reason
    assert v.score is not None and 0.0 <= v.score <= 1.0
