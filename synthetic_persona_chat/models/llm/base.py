"""The one LLM protocol every stage talks to, whatever the backend.

A backend turns a batch of chat prompts into `n` sampled completions each and
counts tokens. Stages never import a backend directly: `load_llm(spec)` picks one
from a config string, so the same stage runs on the embedded GGUF, a GPU through
transformers or any OpenAI-compatible server.
"""

from __future__ import annotations

import dataclasses
import threading
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from ...jsontypes import JsonObject
from .scope import record
from .shape import ConversationShape
from ...errors import ModelError

Message = dict[str, str]  # {"role": "system"|"user"|"assistant", "content": "..."}
Chat = list[Message]


class LLMError(ModelError, RuntimeError):
    """A backend could not produce an answer (dead endpoint, bad model path ...)."""


@dataclass(frozen=True)
class GenerationParams:
    """Sampling settings; defaults are the paper's (top-k 40, temperature 0.7)."""

    max_tokens: int = 256
    temperature: float = 0.7
    top_k: int = 40
    top_p: float = 1.0
    n: int = 1
    seed: int = 0
    stop: tuple[str, ...] = ()
    # a whole-conversation answer's form, enforced while decoding (`shape.py`); None: free text
    shape: ConversationShape | None = None

    def to_dict(self) -> JsonObject:
        """The settings as the answer cache keys them: `shape` only when set, so every key written before
        shapes existed stays the same."""
        data = asdict(self)
        if self.shape is None:
            del data["shape"]
        return data

    def replace(self, **changes: Any) -> "GenerationParams":
        return dataclasses.replace(self, **changes)


@dataclass
class Completion:
    """The `n` answers to one prompt and what they cost."""

    texts: list[str]
    prompt_tokens: int = 0
    completion_tokens: int = 0


AnswerCallback = Callable[[int, Completion], None]  # (index of the chat in the call, its answer)


@dataclass
class TokenUsage:
    """Running totals, safe to update from worker threads."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, completion: Completion) -> None:
        with self._lock:
            self.calls += 1
            self.prompt_tokens += completion.prompt_tokens
            self.completion_tokens += completion.completion_tokens
        record(calls=1, prompt_tokens=completion.prompt_tokens, completion_tokens=completion.completion_tokens)

    def to_dict(self) -> dict[str, int]:
        return {"calls": self.calls, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens}


class LLM(ABC):
    """Chat completion over a batch of prompts."""

    backend: str = "abstract"

    def __init__(self, model: str) -> None:
        self.model = model
        self.usage = TokenUsage()

    def generate(self, chats: list[Chat], params: GenerationParams | None = None,
                 on_answer: AnswerCallback | None = None) -> list[Completion]:
        """Answer every chat with `params.n` samples; order of results matches `chats`.

        `on_answer(index, completion)` is called for each chat as soon as its answer exists, before the
        call returns: the answer cache stores each one then, so a run killed mid-call has paid only for
        the requests still in flight, not for the whole call again. It runs on the thread that learns the
        answer (an HTTP backend's event loop), so it must return quickly: queue, don't write."""
        params = params or GenerationParams()
        if not chats:
            return []
        if on_answer is None:  # nobody waits for single answers: the backend's fastest path
            results = self._generate(chats, params)
            for completion in results:
                self.usage.add(completion)
            return results

        def answered(index: int, completion: Completion) -> None:
            self.usage.add(completion)
            on_answer(index, completion)

        return self._generate_each(chats, params, answered)

    def _generate_each(self, chats: list[Chat], params: GenerationParams, answered: AnswerCallback
                       ) -> list[Completion]:
        """Backends that learn answers one at a time (HTTP) override this to report each as it arrives; a
        batched backend learns them all at once, so the default reports them after `_generate`."""
        results = self._generate(chats, params)
        for index, completion in enumerate(results):
            answered(index, completion)
        return results

    def chat(self, prompt: str, params: GenerationParams | None = None, system: str | None = None) -> str:
        """Convenience: one user message in, the first sample out."""
        messages: Chat = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": prompt}]
        return self.generate([messages], params)[0].texts[0]

    @abstractmethod
    def _generate(self, chats: list[Chat], params: GenerationParams) -> list[Completion]:
        ...

    def describe(self) -> JsonObject:
        """What this model is: recorded in the run directory and printed by `spc models check`."""
        return {"backend": self.backend, "model": self.model}

    def close(self) -> None:
        """Release model memory or connections; backends override when they hold any."""
