"""OpenAI-compatible HTTP backend (vLLM, llama.cpp server, TGI, Ollama, hosted APIs).

A batching server is fast only with many requests in flight, from the whole run at once: several
batches of the conversation stage call `generate` from worker threads at the same time. So one
backend instance owns one event loop (in a daemon thread), one HTTP client with a connection pool
as large as the cap, and one `AdaptiveLimit`: every caller's requests share that cap
(`models.max_concurrency`, else the spec's `concurrency`), and a 429 slows all of them down.
429s, 5xx, timeouts and refused connections are retried with exponential backoff (a retry waits
*without* holding a slot), and an endpoint that stays dead ends in an `LLMError` that names it
instead of a silent hang.

Requests go through `http_client.JSONClient` (keep-alive HTTP/1.1 on asyncio streams, ~0.05 ms of CPU a
request); `client: sdk` uses the `openai` SDK instead (httpx: proxies, compression; ~40x the CPU).
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import os
import random
import threading
import time
from concurrent.futures import Future
from typing import Any
from urllib.parse import urlsplit

from ...jsontypes import JsonObject
from .base import LLM, AnswerCallback, Chat, Completion, GenerationParams, LLMError
from .http_client import (DEFAULT_MAX_RESPONSE_BYTES, APIConnectionError, APIResponseTooLargeError, APITimeoutError,
                          JSONClient)
from ...redact import REDACTED, redact_url, remember
from .limiter import AdaptiveLimit
from .seeding import sample_seed
from .shape import ConversationShape

log = logging.getLogger(__name__)


GUIDED_KEYS = ("guided_regex", "regex")  # vLLM's and SGLang's names for a regex-guided answer


class OpenAICompatLLM(LLM):
    backend = "openai"
    concurrent = True  # callers may overlap their batches: requests share one cap (see engine.py)

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None,
                 api_key_env: str = "OPENAI_API_KEY", concurrency: int = 8, max_retries: int = 4,
                 timeout: float = 120.0, backoff: float = 0.5, send_top_k: bool = True, client: str = "lean",
                 max_retry_after: float = 60.0, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
                 guided: str | None = None) -> None:
        super().__init__(model)
        if client not in ("lean", "sdk"):
            raise LLMError(f"openai backend: client must be 'lean' or 'sdk', got {client!r}")
        self.client_kind = client
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        self.shown_url = redact_url(self.base_url)  # what messages, logs and models.json show
        # The key comes from the environment (OPENAI_API_KEY, or the variable `api_key_env` names) and is kept
        # in memory only. One given in the config works too, but is redacted wherever it would be written;
        # a config read back from a run directory holds REDACTED there, which means "from the environment".
        if api_key == REDACTED:
            api_key = None
        elif api_key:
            log.warning("models.llm.api_key is set in the config: it is redacted from every file spc writes, but "
                        "a config file is easily shared; prefer api_key_env: NAME (an environment variable)")
        self._api_key = api_key or os.environ.get(api_key_env) or "not-needed"
        remember(self._api_key)
        remember(urlsplit(self.base_url).password)
        self.concurrency, self.max_retries = int(concurrency), max_retries
        self.timeout, self.backoff, self.send_top_k = timeout, backoff, send_top_k
        # a server's Retry-After is obeyed up to this many seconds: one that asks for an hour is not waited on
        self.max_retry_after, self.max_response_bytes = float(max_retry_after), int(max_response_bytes)
        if guided not in (None, "regex"):
            raise LLMError(f"openai backend: guided must be 'regex' (vLLM, SGLang) or unset, got {guided!r}")
        self.guided = guided  # how a ConversationShape reaches the server (constrained Generator mode)
        self._lock = threading.Lock()
        self._loop: _LoopThread | None = None

    def _generate(self, chats: list[Chat], params: GenerationParams) -> list[Completion]:
        return self._loop_thread().run(self._generate_async(chats, params, None))

    def _generate_each(self, chats: list[Chat], params: GenerationParams, answered: AnswerCallback
                       ) -> list[Completion]:
        """Each chat's answer is reported as soon as its `n` samples are in (see `LLM.generate`)."""
        return self._loop_thread().run(self._generate_async(chats, params, answered))

    def _loop_thread(self) -> "_LoopThread":
        with self._lock:  # one loop per process: a forked child (a worker) starts its own
            if self._loop is None or self._loop.pid != os.getpid():
                self._loop = _LoopThread(self._make_client, self.concurrency)
            return self._loop

    def _make_client(self) -> Any:
        if self.client_kind == "lean":
            return JSONClient(self.base_url, {"authorization": f"Bearer {self._api_key}"}, self.timeout,
                              max_response_bytes=self.max_response_bytes)
        try:  # the HTTP library the installed openai SDK is built on: httpx2 from openai 3, httpx before
            import httpx2 as httpx
        except ImportError:
            import httpx
        from openai import AsyncOpenAI, DefaultAsyncHttpxClient

        pool = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        return AsyncOpenAI(base_url=self.base_url, api_key=self._api_key, max_retries=0, timeout=self.timeout,
                           http_client=DefaultAsyncHttpxClient(limits=pool, timeout=self.timeout))

    async def _complete(self, client: Any, request: JsonObject) -> tuple[str, int, int]:
        """One chat completion: (text, prompt tokens, completion tokens)."""
        if isinstance(client, JSONClient):
            resp = await client.post("/chat/completions", request)
            usage = resp.get("usage") or {}
            return ((resp["choices"][0].get("message") or {}).get("content") or "",
                    int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))
        extra = {k: request.pop(k) for k in ("top_k", *GUIDED_KEYS) if k in request}
        resp = await client.chat.completions.create(**request, extra_body=extra or None)
        usage = resp.usage
        return (resp.choices[0].message.content or "", usage.prompt_tokens if usage else 0,
                usage.completion_tokens if usage else 0)

    async def _generate_async(self, chats: list[Chat], params: GenerationParams,
                              answered: AnswerCallback | None) -> list[Completion]:
        jobs = [asyncio.ensure_future(self._answer(chat, params, k, answered)) for k, chat in enumerate(chats)]
        try:
            return list(await asyncio.gather(*jobs))
        except BaseException:  # one failed for good: the call fails, so stop its other requests too
            for job in jobs:
                job.cancel()
            await asyncio.gather(*jobs, return_exceptions=True)
            raise

    async def _answer(self, chat: Chat, params: GenerationParams, index: int,
                      answered: AnswerCallback | None) -> Completion:
        """One chat's `n` samples as a `Completion`, handed to `answered` at once (on this event loop: the
        callback only queues it, see `LLM.generate`)."""
        loop = self._loop_thread()
        group = await asyncio.gather(*(self._sample(loop.client, loop.limit, chat, params, i)
                                       for i in range(params.n)))
        completion = Completion(texts=[g[0] for g in group], prompt_tokens=sum(g[1] for g in group),
                                completion_tokens=sum(g[2] for g in group))
        if answered is not None:
            answered(index, completion)
        return completion

    async def _sample(self, client: Any, limit: AdaptiveLimit, chat: Chat,
                      params: GenerationParams, index: int) -> tuple[str, int, int]:
        request = {"model": self.model, "messages": chat, "max_tokens": params.max_tokens,
                   "temperature": params.temperature, "top_p": params.top_p,
                   "seed": sample_seed(params.seed, chat, index)}
        if params.stop:
            request["stop"] = list(params.stop)
        if self.send_top_k:
            request["top_k"] = params.top_k
        if params.shape is not None:
            request.update(self._guided_request(chat, params.shape))
        for attempt in range(self.max_retries + 1):
            await limit.acquire()
            throttled, pause = False, 0.0
            try:
                return await self._complete(client, dict(request))
            except Exception as exc:  # classified below; anything else propagates
                if isinstance(exc, APIResponseTooLargeError):
                    raise LLMError(f"{self.shown_url}: {exc}") from exc
                if not _retryable(exc):
                    raise LLMError(f"{self.shown_url} rejected the request: {exc}") from exc
                if attempt == self.max_retries:
                    raise LLMError(f"OpenAI-compatible endpoint {self.shown_url} failed after "
                                   f"{attempt + 1} attempts: {type(exc).__name__}: {exc}") from exc
                delay = self.backoff * 2 ** attempt * (1 + random.random() / 4)
                throttled = _status(exc) == 429
                asked = min(_retry_after(exc) or 0.0, self.max_retry_after)
                pause = max(asked, self.backoff) if throttled else 0.0
                delay = max(delay, asked)  # a 503 with Retry-After is honoured too
                delay = max(delay, pause)
                log.warning("%s: %s, retry %d/%d in %.1fs", self.shown_url, type(exc).__name__,
                            attempt + 1, self.max_retries, delay)
            finally:
                limit.release(throttled=throttled, pause=pause)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    def _guided_request(self, chat: Chat, shape: ConversationShape) -> JsonObject:
        """A shaped answer from a server: its guided decoding follows `shape.regex()`, which holds the first
        speaker's tag, so the chat goes without the forced opening a local model would continue."""
        if self.guided != "regex":
            raise LLMError(f"{self.shown_url}: generator.mode constrained needs guided decoding; set `guided: "
                           f"regex` in the model spec for a vLLM or SGLang server, or use generator.mode "
                           f"one-call or turns")
        messages = chat[:-1] if chat and chat[-1]["role"] == "assistant" else chat
        pattern = shape.regex()
        return {"messages": messages, "guided_regex": pattern, "regex": pattern}

    def stats(self) -> dict[str, float]:
        """The limiter's state and the CPU seconds the client's event loop has used (for profiles)."""
        if self._loop is None:
            return {"cap": self.concurrency, "client_cpu_s": 0.0}
        return {**self._loop.limit.stats(), "client_cpu_s": round(self._loop.cpu_seconds(), 3)}

    def describe(self) -> JsonObject:
        return {**super().describe(), "base_url": self.shown_url, "concurrency": self.concurrency,
                "device": "remote"}

    def close(self) -> None:
        with self._lock:
            if self._loop is not None and self._loop.pid == os.getpid():
                self._loop.stop()
            self._loop = None


class _LoopThread:
    """An event loop in a daemon thread holding the client and the limit; any thread submits to it."""

    def __init__(self, make_client: Any, cap: int) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="spc-openai-loop")
        self.thread.start()
        self.limit = AdaptiveLimit(cap)
        self.client = self._call(_build(make_client)).result()

    def _call(self, coro: Any) -> Future:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Any) -> Any:
        return self._call(coro).result()

    def cpu_seconds(self) -> float:
        return self._call(_thread_time()).result(timeout=30)

    def stop(self) -> None:
        """Cancel what is still in flight, close the client, end the loop. Overlapping batches (engine threads)
        may still have requests running when one batch fails and the run stops: closing the loop under them
        left pending tasks whose clean-up ran after the loop was closed (tracebacks at exit)."""
        try:
            self._call(_cancel_others()).result(timeout=10)
            closing = self.client.close()
            if asyncio.iscoroutine(closing):
                self._call(closing).result(timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


async def _cancel_others() -> None:
    """Cancel every other task of this loop and wait until each has run its clean-up."""
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


async def _build(make_client: Any) -> Any:
    return make_client()


async def _thread_time() -> float:
    return time.thread_time()


def _status(exc: Exception) -> int | None:
    return getattr(exc, "status_code", None)


def _retry_after(exc: Exception) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms`, or `Retry-After` in seconds or as an HTTP date).

    The lean client's `APIStatusError` carries the headers itself (`exc.headers`, lower-case keys); the
    SDK's carries them on `exc.response` (case-insensitive). Reading only the latter ignored every
    Retry-After on the default client."""
    headers = getattr(exc, "headers", None) or getattr(getattr(exc, "response", None), "headers", None) or {}
    millis, text = headers.get("retry-after-ms"), headers.get("retry-after")
    try:
        if millis:
            return _finite_wait(float(millis) / 1000)
        if text:
            return _finite_wait(float(text))
    except ValueError:
        return _http_date_wait(text)
    return None


def _finite_wait(seconds: float) -> float | None:
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _http_date_wait(text: str | None) -> float | None:
    """`Retry-After: Wed, 21 Oct 2026 07:28:00 GMT` as seconds from now (None when unparsable)."""
    try:
        when = email.utils.parsedate_to_datetime(text or "")
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _retryable(exc: Exception) -> bool:
    """Timeouts, dropped connections, 429 and 5xx are worth another try; other statuses are our fault."""
    if isinstance(exc, (APITimeoutError, APIConnectionError)):
        return True
    status = _status(exc)
    if status is not None:
        return status == 429 or status >= 500
    try:
        import openai
    except ImportError:
        return False
    return isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError))
