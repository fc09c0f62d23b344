"""llama.cpp backend (llama-cpp-python): the embedded CPU default on the bundled GGUF."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..bundled import smollm2_gguf
from .base import LLM, Chat, Completion, GenerationParams, LLMError
from .seeding import sample_seed


def resolve_gguf(model: str) -> Path:
    """"smollm2" (or empty) means the bundled model; anything else is a path to a .gguf file."""
    if model in ("", "smollm2", "default"):
        return smollm2_gguf()
    path = Path(model).expanduser()
    if not path.is_file():
        raise LLMError(f"GGUF file not found: {path}")
    return path


class LlamaCppLLM(LLM):
    """One llama.cpp context; prompts run one after another (llama.cpp's Python API has no batch API)."""

    backend = "llama-cpp"

    def __init__(self, model: str = "smollm2", n_ctx: int = 4096, n_threads: int | None = None,
                 **kwargs: Any) -> None:
        from llama_cpp import Llama

        self.path = resolve_gguf(model)
        super().__init__(str(model) or "smollm2")
        self.n_ctx = n_ctx
        # Half the logical CPUs, as llama.cpp's own server does: decoding is memory-bound and SMT siblings
        # fight over one core's caches (measured here on 2 vCPUs: 1 thread ~65 tok/s, 2 threads ~35 tok/s).
        self.n_threads = n_threads or max(1, (os.cpu_count() or 2) // 2)
        self._llama = Llama(model_path=str(self.path), n_ctx=n_ctx, n_threads=self.n_threads,
                            verbose=False, **kwargs)

    def _generate(self, chats: list[Chat], params: GenerationParams) -> list[Completion]:
        return [self._one(chat, params) for chat in chats]

    def _one(self, chat: Chat, params: GenerationParams) -> Completion:
        out = Completion(texts=[])
        for i in range(params.n):
            # llama.cpp re-uses the KV cache of the previous prompt, and a re-used prefix gives
            # slightly different logits than a fresh decode: a sample would depend on what ran
            # before it. A reset makes every sample a function of (prompt, seed) alone.
            self._llama.reset()
            resp = self._llama.create_chat_completion(
                messages=chat, max_tokens=params.max_tokens, temperature=params.temperature,
                top_k=params.top_k, top_p=params.top_p, stop=list(params.stop) or None,
                seed=sample_seed(params.seed, chat, i))
            out.texts.append(resp["choices"][0]["message"]["content"] or "")
            usage = resp.get("usage") or {}
            out.prompt_tokens += int(usage.get("prompt_tokens", 0))
            out.completion_tokens += int(usage.get("completion_tokens", 0))
        return out

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "path": str(self.path),
                "size_mb": round(self.path.stat().st_size / 2**20, 1), "device": "cpu",
                "n_ctx": self.n_ctx, "n_threads": self.n_threads}

    def close(self) -> None:
        self._llama.close()
