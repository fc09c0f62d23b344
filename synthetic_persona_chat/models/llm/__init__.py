"""LLM backends behind one protocol; `load_llm` picks one from a config string.

| spec                                   | backend                                  |
|----------------------------------------|------------------------------------------|
| `llama-cpp` / `llama-cpp:PATH.gguf`    | llama-cpp-python (default: bundled SmolLM2) |
| `transformers:MODEL_ID_OR_PATH`        | transformers, batched, GPU when present  |
| `openai:MODEL@BASE_URL`                | any OpenAI-compatible server             |
"""

from __future__ import annotations

from typing import Any

from ..spec import ModelSpec
from .base import LLM, Chat, Completion, GenerationParams, LLMError, Message, TokenUsage
from .cache import CachedLLM

DEFAULT_LLM = "llama-cpp:smollm2"
BACKENDS = ("llama-cpp", "transformers", "openai")


def load_llm(spec: "str | dict[str, Any] | ModelSpec" = DEFAULT_LLM) -> LLM:
    s = ModelSpec.parse(spec)
    if s.backend in ("llama-cpp", "llama_cpp", "llamacpp"):
        from .llama_cpp import LlamaCppLLM
        return LlamaCppLLM(s.model or "smollm2", **s.options)
    if s.backend in ("transformers", "hf"):
        from .transformers_llm import TransformersLLM
        return TransformersLLM(s.model or "smollm2", **s.options)
    if s.backend == "openai":
        from .openai_compat import OpenAICompatLLM
        if not s.model:
            raise LLMError("openai backend needs a model name: 'openai:MODEL@BASE_URL'")
        return OpenAICompatLLM(s.model, **s.options)
    raise LLMError(f"unknown LLM backend {s.backend!r}; choose one of {', '.join(BACKENDS)}")


__all__ = ["LLM", "Chat", "Completion", "GenerationParams", "LLMError", "Message", "TokenUsage",
           "CachedLLM", "load_llm", "DEFAULT_LLM", "BACKENDS"]
