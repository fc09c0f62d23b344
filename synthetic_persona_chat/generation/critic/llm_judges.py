"""Conversation-level LLM experts, as in the paper: `llm-faithfulness` and `llm-toxicity` (filters).

For servers: each reads one whole candidate with both profiles in one call (`tasks/conversation_judge.py`),
so a batch of m candidates is m calls, against ~130 for the per-(utterance, attribute) `llm-judge`
checker. The faithfulness prompt carries a faithful and an unfaithful example with their reasons;
the toxicity prompt asks "is this conversation toxic? why?". A "yes" drops the candidate and the
judge's reason is the verdict's; an answer that is neither yes nor no keeps the candidate and says so
(counted in the reason, so a judge that cannot follow the format is visible in the pass rates).
Greedy decoding: the same candidate gets the same verdict on every backend and on a resume.
Opt-in: add `llm-faithfulness` / `llm-toxicity` to `critic.experts` (they need `models.llm`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...models.llm import GenerationParams
from ...tasks import ask
from ...tasks.conversation_judge import FAITHFULNESS_TEMPLATE, TOXICITY_TEMPLATE, ConversationJudge
from ...text import render_conversation
from .base import Expert, Verdict
from ...rowtypes import ArrowRow

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from synthetic_persona_chat.context import RunContext
    from synthetic_persona_chat.generation.config import CriticConfig

MAX_TOKENS = 48  # "yes/no" and one sentence of reason


def _judge(name: str, template: str, rows: list[ArrowRow], ctx: RunContext) -> list[Verdict]:
    """One call per candidate (one batched `generate` for all rows)."""
    task_rows = [{"conversation": render_conversation(r["turns"]), "user1_persona": list(r.get("user1_persona") or []),
                  "user2_persona": list(r.get("user2_persona") or [])} for r in rows]
    answers = ask(ctx.llm, ConversationJudge(template), task_rows,
                  GenerationParams(max_tokens=MAX_TOKENS, temperature=0.0, top_k=1, n=1))
    out = []
    for a in answers:
        j = a.value
        if j.found is None:
            out.append(Verdict(name, passed=True, reason=f"unparsable answer, kept: {j.reason!r}"))
        else:
            out.append(Verdict(name, passed=not j.found, score=float(j.found),
                               reason=f"judge answered {'yes' if j.found else 'no'}: {j.reason[:200]}"))
    return out


def judge_faithfulness(rows: list[ArrowRow], ctx: RunContext, cfg: CriticConfig) -> list[Verdict]:
    return _judge("llm-faithfulness", FAITHFULNESS_TEMPLATE, rows, ctx)


def judge_toxicity(rows: list[ArrowRow], ctx: RunContext, cfg: CriticConfig) -> list[Verdict]:
    return _judge("llm-toxicity", TOXICITY_TEMPLATE, rows, ctx)


EXPERTS = [Expert("llm-faithfulness", "filter", judge_faithfulness,
                  "LLM judge: does a speaker contradict their own persona? (whole conversation, both profiles)"),
           Expert("llm-toxicity", "filter", judge_toxicity, "LLM judge: is this conversation toxic? why?")]
