"""Every Hub call of `spc push` and `spc eval ... --push` goes through `hub_call`: a failure becomes one
`PublishError` line naming the step, the cause and the fix, and what is (not) on the Hub now.

Rate limits (429) and server errors (5xx) are retried a few times first, waiting what the Hub asks
(`Retry-After`, capped) or a short exponential backoff; anything else fails at once, since retrying a
refused token or an unreachable host only delays the message the user needs.
"""

from __future__ import annotations

import logging
import math
import os
import time
from typing import Any, Callable, TypeVar

from synthetic_persona_chat.errors import NetworkError, UsageError

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRIES = 3
MAX_WAIT_S = 30.0
DEFAULT_TIMEOUT_S = 300.0  # per read/write of one Hub request (SPC_HUB_TIMEOUT overrides)
CONNECT_TIMEOUT_S = 15.0
_bounded: float | None = None  # the timeout huggingface_hub's session was given, once given
FIXES = {
    401: "the token is missing or invalid: set HF_TOKEN or run `hf auth login`",
    403: "the token may not write there: use a token with write access to that namespace (or another --repo)",
    404: "not found: check the repo id, and that the token's user can see it",
    409: "it already exists: pick another name or version",
    429: "rate-limited by the Hub even after retries: wait a few minutes, then rerun the same command",
}


class PublishError(NetworkError, RuntimeError):
    """The push could not (fully) happen; the message says what is on the Hub now and what to run."""


def bound_hub_timeouts() -> float:
    """Give huggingface_hub's shared HTTP session a timeout; returns the read timeout in seconds.

    Its default client waits forever (`timeout=None`): a Hub, proxy or mirror that accepts the connection
    and never answers left `spc push` hanging with no message. Connecting may take `CONNECT_TIMEOUT_S`;
    each read or write may wait `SPC_HUB_TIMEOUT` seconds (default 300: the Hub can take minutes to answer
    a commit of many files), then the call fails as one line saying what is on the Hub."""
    global _bounded
    seconds = _timeout_setting()
    if _bounded != seconds:
        import httpx2
        from huggingface_hub.utils import set_client_factory
        from huggingface_hub.utils._http import default_client_factory

        def bounded_client() -> Any:
            client = default_client_factory()
            client.timeout = httpx2.Timeout(seconds, connect=min(CONNECT_TIMEOUT_S, seconds))
            return client

        set_client_factory(bounded_client)
        _bounded = seconds
    return seconds


def _timeout_setting() -> float:
    raw = os.environ.get("SPC_HUB_TIMEOUT", "")
    try:
        seconds = float(raw) if raw.strip() else DEFAULT_TIMEOUT_S
    except ValueError:
        raise UsageError(f"SPC_HUB_TIMEOUT={raw!r} is not a number of seconds; unset it or give e.g. 300") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise UsageError(f"SPC_HUB_TIMEOUT={raw!r} must be a positive number of seconds")
    return seconds


def hub_call(step: str, fn: Callable[..., T], *args: Any, state: str = "nothing was published",
             **kwargs: Any) -> T:
    """`fn(*args, **kwargs)`, retried on 429/5xx; any failure -> PublishError("<step> failed: cause; fix; state")."""
    bound_hub_timeouts()
    for attempt in range(RETRIES + 1):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure becomes one line with its cause
            status = _status(exc)
            if attempt < RETRIES and status is not None and (status == 429 or status >= 500):
                wait = _retry_after(exc, attempt)
                log.warning("%s: HTTP %s, retrying in %.1fs (%d/%d)", step, status, wait, attempt + 1, RETRIES)
                time.sleep(wait)
                continue
            raise PublishError(f"{step} failed: {cause_and_fix(exc)}; {state}") from exc
    raise AssertionError("unreachable")


def cause_and_fix(exc: BaseException) -> str:
    name = type(exc).__name__
    names = {c.__name__ for c in type(exc).__mro__}
    if "OfflineModeIsEnabled" in names:
        return "offline mode is on (HF_HUB_OFFLINE=1); unset HF_HUB_OFFLINE to reach the Hub, or use --dry-run"
    status = _status(exc)
    if status is not None:
        fix = FIXES.get(status, "the Hub failed: retry later" if status >= 500 else "check the request")
        return f"HTTP {status} ({_first_line(exc)}); {fix}"
    if names & {"ReadTimeout", "WriteTimeout", "PoolTimeout"}:
        return (f"the Hub did not answer within {_timeout_setting():g}s ({name}); retry later, or raise "
                f"SPC_HUB_TIMEOUT (seconds) for a slow link")
    if names & {"ConnectError", "ConnectTimeout", "ReadTimeout", "TransportError", "ConnectionError"}:
        from huggingface_hub import constants

        return (f"cannot reach {constants.ENDPOINT} ({name}: {_first_line(exc)}); check the network, or HF_ENDPOINT "
                f"if you use a mirror, then rerun the same command")
    if isinstance(exc, ValueError) and "metadata" in str(exc).lower():
        return f"the Hub refused the card's metadata ({' '.join(str(exc).split())}); fix README.md and rerun"
    return f"{name}: {_first_line(exc)}"


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if status is None and exc.__cause__ is not None:
        return _status(exc.__cause__)
    return int(status) if status is not None else None


def _retry_after(exc: BaseException, attempt: int) -> float:
    response = getattr(exc, "response", None)
    header = getattr(response, "headers", {}).get("Retry-After") if response is not None else None
    try:
        return min(float(header), MAX_WAIT_S)
    except (TypeError, ValueError):
        return min(2.0 ** attempt, MAX_WAIT_S)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
