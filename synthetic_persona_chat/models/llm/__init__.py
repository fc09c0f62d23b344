"""LLM backends behind one protocol; `load_llm` picks one from a config string.

| spec                                   | backend                                  |
|----------------------------------------|------------------------------------------|
| `transformers:MODEL_ID_OR_PATH`        | transformers, batched, GPU when present (default: bundled SmolLM2 GGUF) |
| `llama-cpp` / `llama-cpp:PATH.gguf`    | llama-cpp-python, optional extra `[llama-cpp]` |
| `openai:MODEL@BASE_URL`                | any OpenAI-compatible server             |
"""

from __future__ import annotations


from ...jsontypes import JsonObject
from ... import logs
from ..bundled import DEFAULT_LLM
from ..spec import ModelSpec
from .base import LLM, Chat, Completion, GenerationParams, LLMError, Message, TokenUsage
from .cache import CachedLLM
from .openai_compat import OpenAICompatLLM
from .transformers_llm import TransformersLLM

# Batched transformers on the bundled GGUF: nothing to compile, and batches of 32 decode ~2.7x faster in
# aggregate than llama.cpp's one-sequence API (benchmarks/llm_throughput.py).
BACKENDS = ("llama-cpp", "transformers", "openai")
LLAMA_CPP_BACKENDS = ("llama-cpp", "llama_cpp", "llamacpp")  # spellings of the llama.cpp backend


def load_llm(spec: "str | JsonObject | ModelSpec" = DEFAULT_LLM, max_concurrency: int | None = None) -> LLM:
    """`max_concurrency` (config `models.max_concurrency`): the cap on requests in flight for HTTP backends."""
    s = ModelSpec.parse(spec)
    if s.backend in LLAMA_CPP_BACKENDS:
        from .llama_cpp import LlamaCppLLM  # optional extra [llama-cpp]
        return LlamaCppLLM(s.model or "smollm2", **s.options)
    if s.backend in ("transformers", "hf"):
        logs.gguf_bar_follows_switch()  # the de-quantisation bar only with -v
        return TransformersLLM(s.model or "smollm2", **s.options)
    if s.backend == "openai":
        if not s.model:
            raise LLMError("openai backend needs a model name: 'openai:MODEL@BASE_URL'")
        options = {**s.options, **({"concurrency": int(max_concurrency)} if max_concurrency else {})}
        return OpenAICompatLLM(s.model, **options)
    raise LLMError(f"unknown LLM backend {s.backend!r}; choose one of {', '.join(BACKENDS)}")


__all__ = ["LLM", "Chat", "Completion", "GenerationParams", "LLMError", "Message", "TokenUsage",
           "CachedLLM", "load_llm", "DEFAULT_LLM", "BACKENDS", "LLAMA_CPP_BACKENDS"]
