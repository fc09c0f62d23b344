"""Run a function in a fresh child process, so that a native crash (SIGSEGV in a C++ kernel) becomes a
result the caller can report instead of killing the user's command without a word.

`spawn`, not `fork`: the child starts clean (no inherited OpenMP or torch thread state) and is the
same on Linux and macOS.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import traceback
from dataclasses import dataclass
from typing import Any, Callable


@dataclass
class ChildResult:
    """What came back: `value` when the function returned, else `error` (exception) or `signal` (crash)."""

    value: Any = None
    error: str | None = None
    signal: int | None = None
    exitcode: int | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.signal is None and self.exitcode in (0, None)

    def describe_failure(self) -> str:
        if self.signal is not None:
            try:
                name = signal.Signals(self.signal).name
            except ValueError:
                name = "unknown"
            return f"crashed (signal {self.signal}, {name})"
        if self.error is not None:
            return self.error
        return f"exited with status {self.exitcode} before answering"


def _child_main(conn: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        conn.send(("value", fn(*args)))
    except BaseException as exc:  # everything is reported to the parent, nothing is raised here
        conn.send(("error", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
    finally:
        conn.close()


def run_in_child(fn: Callable[..., Any], *args: Any, timeout: float | None = None) -> ChildResult:
    """`fn(*args)` in a spawned process; `fn` must be importable (a module-level function)."""
    ctx = mp.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child_main, args=(sender, fn, args), daemon=True)
    proc.start()
    sender.close()
    message = None
    try:
        if receiver.poll(timeout):
            message = receiver.recv()
    except EOFError:  # the child died before sending: a crash
        message = None
    finally:
        receiver.close()
    proc.join(timeout=10 if message is not None else None)
    if proc.is_alive():
        proc.kill()
        proc.join()
        if message is None:
            return ChildResult(error=f"timed out after {timeout} s")
    if message is not None and message[0] == "value":
        return ChildResult(value=message[1], exitcode=proc.exitcode)
    if message is not None:
        return ChildResult(error=message[1], exitcode=proc.exitcode)
    code = proc.exitcode
    if code is not None and code < 0:
        return ChildResult(signal=-code, exitcode=code)
    return ChildResult(exitcode=code)
