"""Conversation judge: one LLM call reads a whole candidate and both profiles, answers yes/no and says why.

The paper's faithfulness and toxicity experts are LLM judges at conversation level ("contradicts? why?",
"Is this conversation toxic? Why?"), one call per candidate, where a per-(utterance, attribute) judge
makes ~19k calls for 150 pairs. Row: {conversation, user1_persona, user2_persona}. The template asks a
question whose "yes" means the problem was found; `parse` reads the first word (True: yes, False: no,
None: neither) and keeps the rest of the answer as the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from .base import user_chat
from .templates import render

FAITHFULNESS_TEMPLATE = "faithfulness_conversation.j2"
TOXICITY_TEMPLATE = "toxicity_conversation.j2"


@dataclass(frozen=True)
class Judgement:
    found: bool | None  # True: the problem asked about is there; None: the answer said neither yes nor no
    reason: str


@dataclass(frozen=True)
class ConversationJudge:
    template: str = FAITHFULNESS_TEMPLATE
    name: str = "conversation_judge"
    inputs: tuple[str, ...] = ("conversation", "user1_persona", "user2_persona")

    def render(self, row: Mapping[str, Any]) -> list[dict[str, str]]:
        return user_chat(render(self.template, **{k: row[k] for k in self.inputs}))

    def parse(self, text: str, row: Mapping[str, Any]) -> Judgement:
        words = re.findall(r"[a-z]+", text.lower())
        found = {"yes": True, "no": False}.get(words[0]) if words else None
        reason = re.sub(r"^\W*(yes|no)\b\W*", "", text.strip(), flags=re.I).strip()
        return Judgement(found, reason or ("(no reason given)" if found is not None else text.strip()[:80]))
