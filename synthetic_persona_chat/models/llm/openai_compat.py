"""OpenAI-compatible HTTP backend (vLLM, llama.cpp server, TGI, Ollama, hosted APIs).

Requests go out concurrently up to a bound; 429s, 5xx, timeouts and refused
connections are retried with exponential backoff, and an endpoint that stays
dead ends in an `LLMError` that names it instead of a silent hang.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from typing import Any

from .base import LLM, Chat, Completion, GenerationParams, LLMError
from .seeding import sample_seed

log = logging.getLogger(__name__)


class OpenAICompatLLM(LLM):
    backend = "openai"

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None,
                 api_key_env: str = "OPENAI_API_KEY", concurrency: int = 8, max_retries: int = 4,
                 timeout: float = 120.0, backoff: float = 0.5, send_top_k: bool = True) -> None:
        super().__init__(model)
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        # The key is read from the environment and kept in memory only: never logged or described.
        self._api_key = api_key or os.environ.get(api_key_env) or "not-needed"
        self.concurrency, self.max_retries = concurrency, max_retries
        self.timeout, self.backoff, self.send_top_k = timeout, backoff, send_top_k

    def _generate(self, chats: list[Chat], params: GenerationParams) -> list[Completion]:
        return _run(self._generate_async(chats, params))

    async def _generate_async(self, chats: list[Chat], params: GenerationParams) -> list[Completion]:
        from openai import AsyncOpenAI

        client = AsyncOpenAI(base_url=self.base_url, api_key=self._api_key, max_retries=0,
                             timeout=self.timeout)
        gate = asyncio.Semaphore(self.concurrency)
        try:
            jobs = [self._sample(client, gate, chat, params, i) for chat in chats for i in range(params.n)]
            samples = await asyncio.gather(*jobs)
        finally:
            await client.close()
        out = []
        for k in range(len(chats)):
            group = samples[k * params.n:(k + 1) * params.n]
            out.append(Completion(texts=[g[0] for g in group], prompt_tokens=sum(g[1] for g in group),
                                  completion_tokens=sum(g[2] for g in group)))
        return out

    async def _sample(self, client: Any, gate: asyncio.Semaphore, chat: Chat,
                      params: GenerationParams, index: int) -> tuple[str, int, int]:
        extra = {"top_k": params.top_k} if self.send_top_k else None
        async with gate:
            for attempt in range(self.max_retries + 1):
                try:
                    resp = await client.chat.completions.create(
                        model=self.model, messages=chat, max_tokens=params.max_tokens,
                        temperature=params.temperature, top_p=params.top_p,
                        seed=sample_seed(params.seed, chat, index), stop=list(params.stop) or None,
                        extra_body=extra)
                    usage = resp.usage
                    return (resp.choices[0].message.content or "",
                            usage.prompt_tokens if usage else 0, usage.completion_tokens if usage else 0)
                except Exception as exc:  # classified below; anything else propagates
                    if not _retryable(exc):
                        raise LLMError(f"{self.base_url} rejected the request: {exc}") from exc
                    if attempt == self.max_retries:
                        raise LLMError(f"OpenAI-compatible endpoint {self.base_url} failed after "
                                       f"{attempt + 1} attempts: {type(exc).__name__}: {exc}") from exc
                    delay = self.backoff * 2 ** attempt * (1 + random.random() / 4)
                    log.warning("%s: %s, retry %d/%d in %.1fs", self.base_url, type(exc).__name__,
                                attempt + 1, self.max_retries, delay)
                    await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "base_url": self.base_url, "concurrency": self.concurrency,
                "device": "remote"}


def _retryable(exc: Exception) -> bool:
    import openai

    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError, openai.RateLimitError)):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


def _run(coro: Any) -> Any:
    """Run a coroutine from sync code, also when the caller already has an event loop (notebooks)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
