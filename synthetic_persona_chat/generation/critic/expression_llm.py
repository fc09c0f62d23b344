"""The paper's faithfulness test as the gate's measure: an attribute is expressed when P(π|D) >= P(π) + margin.

`critic.expression_measure: llm` scores each attribute with the run's LLM instead of the embedder: the
probability that it answers "yes" to "Is this true of User N: <attribute>?" after reading the conversation,
against the same question with no conversation shown (the prior). The conversation expresses the
attribute when it makes "yes" more likely by at least `critic.expression_margin`. Needs next-token
log-probabilities (the transformers backend); a backend without them is a config error that says so.
One forward pass per (attribute, with/without conversation); the priors repeat across candidates of a pair.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...config import ConfigError
from ...models.contradiction import _logprob_backend
from ...text import render_conversation
from ...rowtypes import ArrowRow

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from synthetic_persona_chat.context import RunContext
    from synthetic_persona_chat.generation.config import CriticConfig

ANSWERS = ["yes", "no", "Yes", "No", " yes", " no"]
NO_CONVERSATION = "(no conversation shown)"


def question(conversation: str, speaker: str, attribute: str) -> list[dict[str, str]]:
    who = "User 1" if speaker == "user 1" else "User 2"
    return [{"role": "user", "content": f"{conversation}\n\nFrom this conversation, is it true that {who} would say: "
                                        f"\"{attribute}\"? Answer yes or no."}]


def p_yes(logprobs: np.ndarray) -> np.ndarray:
    yes, no = np.logaddexp.reduce(logprobs[:, 0::2], axis=1), np.logaddexp.reduce(logprobs[:, 1::2], axis=1)
    return 1 / (1 + np.exp(no - yes))


def lifts(rows: list[ArrowRow], plans: list[list[tuple[str, tuple[list[str], list[str]]]]],
          ctx: RunContext, cfg: CriticConfig) -> list[np.ndarray]:
    """Per speaker group (in plan order): P(yes | conversation) - P(yes | nothing) per attribute."""
    model = _logprob_backend(ctx.llm)
    if model is None:
        raise ConfigError(f"critic.expression_measure: llm needs next-token log-probabilities (transformers), "
                          f"not {getattr(ctx.llm, 'backend', ctx.llm)}; use expression_measure: embedding")
    asks = [(render_conversation(r["turns"]), sp, a) for r, plan in zip(rows, plans) for sp, (attrs, _) in plan
            for a in attrs]
    if not asks:
        return [np.zeros(0) for plan in plans for _ in plan]
    with_d = p_yes(model.next_token_logprobs([question(c, sp, a) for c, sp, a in asks], ANSWERS))
    priors = list(dict.fromkeys((sp, a) for _, sp, a in asks))
    prior_p = dict(zip(priors, p_yes(model.next_token_logprobs([question(NO_CONVERSATION, sp, a)
                                                                 for sp, a in priors], ANSWERS))))
    diff = np.array([w - prior_p[(sp, a)] for w, (_, sp, a) in zip(with_d, asks)]) - cfg.expression_margin
    out, pos = [], 0
    for plan in plans:
        for _, (attrs, _) in plan:
            out.append(diff[pos:pos + len(attrs)])
            pos += len(attrs)
    return out
