"""llama.cpp backend (llama-cpp-python), an optional extra: `pip install 'synthetic-persona-chat[llama-cpp]'`.

It is native code compiled on the user's machine, so it is never on the default path (the default is
batched transformers). Builds made with `-march=native` on a CPU with AMX enable ggml's AMX kernels,
which segfault on decode (upstream "segfault in ggml_backend_amx_mul_mat"): such a build is refused
before it decodes, with the portable rebuild command.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ...jsontypes import JsonObject
from ..bundled import resolve_gguf as _resolve_bundled
from .base import LLM, Chat, Completion, GenerationParams, LLMError
from .seeding import sample_seed

PORTABLE_CMAKE_ARGS = ("-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON "
                       "-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF")
REBUILD_COMMAND = (f'CMAKE_ARGS="{PORTABLE_CMAKE_ARGS}" pip install --force-reinstall --no-cache-dir '
                   f'--no-binary llama-cpp-python "llama-cpp-python>=0.3"')


def resolve_gguf(model: str) -> Path:
    try:
        return _resolve_bundled(model)
    except FileNotFoundError as exc:
        raise LLMError(str(exc)) from exc


def import_llama_cpp() -> Any:
    """The `llama_cpp` module, or a clear error saying how to install it portably."""
    try:
        import llama_cpp
    except ImportError as exc:
        raise LLMError("the llama-cpp backend is an optional extra and is not installed; install it with "
                       f"portable flags: {REBUILD_COMMAND} (or `SPC_LLAMA_CPP=1 bash scripts/setup.sh`), or use "
                       "the default `transformers:smollm2`") from exc
    return llama_cpp


def amx_enabled(system_info: str) -> bool:
    """True when ggml reports its AMX kernels on (`AMX_INT8 = 1`), the build that crashes on decode."""
    compact = system_info.replace(" ", "")
    return "AMX_INT8=1" in compact


def check_build(llama_cpp: Any) -> None:
    """Refuse a build whose AMX kernels are on: decoding would kill the process with SIGSEGV."""
    info = llama_cpp.llama_print_system_info()
    info = info.decode() if isinstance(info, bytes) else str(info)
    if amx_enabled(info) and os.environ.get("SPC_ALLOW_AMX") != "1":
        raise LLMError("this llama-cpp-python build has ggml's AMX kernels enabled (AMX_INT8 = 1), which crash "
                       f"on decode (upstream ggml bug); rebuild it portably: {REBUILD_COMMAND}")


class LlamaCppLLM(LLM):
    """One llama.cpp context; prompts run one after another (llama.cpp's Python API has no batch API)."""

    backend = "llama-cpp"

    def __init__(self, model: str = "smollm2", n_ctx: int = 4096, n_threads: int | None = None,
                 **kwargs: Any) -> None:
        self.path = resolve_gguf(model)
        llama_cpp = import_llama_cpp()
        check_build(llama_cpp)
        super().__init__(str(model) or "smollm2")
        self.n_ctx = n_ctx
        # Half the logical CPUs, as llama.cpp's own server does: decoding is memory-bound and SMT siblings
        # fight over one core's caches (measured on 2 vCPUs: 1 thread ~65 tok/s, 2 threads ~35 tok/s).
        self.n_threads = n_threads or max(1, (os.cpu_count() or 2) // 2)
        self._llama = llama_cpp.Llama(model_path=str(self.path), n_ctx=n_ctx, n_threads=self.n_threads,
                                      verbose=False, **kwargs)

    def _generate(self, chats: list[Chat], params: GenerationParams) -> list[Completion]:
        if params.shape is not None:
            raise LLMError("llama.cpp: generator.mode constrained is not supported on this backend (its grammar "
                           "cannot block repeats); use generator.mode turns or one-call, or the transformers backend")
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

    def describe(self) -> JsonObject:
        return {**super().describe(), "path": str(self.path),
                "size_mb": round(self.path.stat().st_size / 2**20, 1), "device": "cpu",
                "n_ctx": self.n_ctx, "n_threads": self.n_threads}

    def close(self) -> None:
        self._llama.close()
