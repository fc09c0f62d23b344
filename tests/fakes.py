"""Test doubles for unit tests (every capability also has a test on the real models)."""

from __future__ import annotations

from typing import Callable

from synthetic_persona_chat.models.llm import LLM, Chat, Completion, GenerationParams


class ScriptedLLM(LLM):
    """Answers with `respond(chat, sample_index)`; counts calls like a real backend."""

    backend = "scripted"

    def __init__(self, respond: Callable[[Chat, int], str], model: str = "scripted") -> None:
        super().__init__(model)
        self.respond = respond
        self.prompts: list[Chat] = []

    def _generate(self, chats: list[Chat], params: GenerationParams) -> list[Completion]:
        self.prompts.extend(chats)
        out = []
        for chat in chats:
            texts = [self.respond(chat, i) for i in range(params.n)]
            out.append(Completion(texts=texts, prompt_tokens=sum(len(m["content"].split()) for m in chat),
                                  completion_tokens=sum(len(t.split()) for t in texts)))
        return out
