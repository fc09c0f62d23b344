"""One process per run directory: an exclusive advisory lock held for the whole command.

Two `spc generate` on one run directory used to both run, each paying for every LLM call and
racing on the same files. The run directory and `RUN/.lock` are locked with `flock(LOCK_EX | LOCK_NB)` (the
directory too, so deleting the file during a run does not let a second process in): the kernel drops
the lock when its process dies (even by kill -9), so a lock file left by a dead process is simply
taken over; its contents (PID, host, start time) are only there to tell a refused user who holds
the directory. A lock whose recorded holder is gone is logged as taken over, so the takeover is
visible. Locks are re-entrant within a process (several `RunDir` objects for one path share one).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import socket
import threading
import time
from pathlib import Path
from typing import TypedDict
from .errors import LockedError

log = logging.getLogger(__name__)
LOCK_NAME = ".lock"

_held: dict[str, "RunLock"] = {}
_guard = threading.Lock()


class RunLockedError(LockedError, RuntimeError):
    """Another live process holds the run directory's lock; the message names it and what to do."""


class RunLock:
    """The run directory and its lock file, open and locked by this process."""

    def __init__(self, directory: Path, fd: int, dir_fd: int) -> None:
        self.directory, self.fd, self.dir_fd, self.users = directory, fd, dir_fd, 1

    @property
    def path(self) -> Path:
        return self.directory / LOCK_NAME

    def release(self) -> None:
        """Drop one user; the last one unlocks (the file stays: removing it would race a new locker)."""
        with _guard:
            self.users -= 1
            if self.users > 0:
                return
            _held.pop(str(self.directory), None)
            _clear_holder(self)
            os.close(self.fd)
            os.close(self.dir_fd)


def acquire(directory: str | Path, command: str = "") -> RunLock:
    """Lock `directory` for this process, or raise `RunLockedError` naming the holder."""
    directory = Path(directory).resolve()
    with _guard:
        mine = _held.get(str(directory))
        if mine is not None:
            mine.users += 1
            return mine
        path = directory / LOCK_NAME
        dir_fd = _lock_or_refuse(os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC), directory)
        try:
            fd = _lock_or_refuse(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644), directory)
        except BaseException:
            os.close(dir_fd)
            raise
        previous = read_holder(path)
        if previous.get("pid") and previous.get("pid") != os.getpid():
            log.warning("%s: taking over the lock left by PID %s on %s (started %s), which is no longer running",
                        directory, previous.get("pid"), previous.get("host"), previous.get("started"))
        _write_holder(fd, command)
        lock = _held[str(directory)] = RunLock(directory, fd, dir_fd)
        return lock


def _clear_holder(lock: RunLock) -> None:
    """Empty the holder record of a lock let go on purpose: the record is there to name a holder that died
    (kill -9, power loss), and a clean exit that left it made the next run report a takeover that was none."""
    with contextlib.suppress(OSError):
        os.ftruncate(lock.fd, 0)


@atexit.register
def _clear_holders_at_exit() -> None:
    """At a normal interpreter exit (also after an error), every lock still held is let go cleanly; a killed
    process runs no exit handlers, so its record stays and the next run rightly says it took over."""
    with _guard:
        for lock in _held.values():
            _clear_holder(lock)


def _lock_or_refuse(fd: int, directory: Path) -> int:
    """`fd` locked exclusively (returned), or closed and `RunLockedError` naming the holder.

    The directory itself is locked first: `RUN/.lock` is only a file, and deleting it during a run (a
    cleanup script, `rm RUN/.lock` to "unstick" a run) let a second process create and lock a new one and
    run beside the first. A directory cannot be replaced while in use by name, so its lock holds. The file
    is still locked too, for spc versions that only lock the file, and it records who holds the run."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise RunLockedError(refusal(directory, read_holder(directory / LOCK_NAME))) from None
    except OSError:
        os.close(fd)
        raise
    return fd


def process_alive(pid: int) -> bool:
    """Whether a process with this PID runs on this host (another user's counts): a file a dead one left
    beside its work may go."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


class Holder(TypedDict, total=False):
    """The lock file's JSON: who holds the run. Partial (or empty) when read from a file a dying process
    was writing, so readers use `.get`."""

    pid: int
    host: str
    started: str
    command: str


def holder_record(command: str = "") -> Holder:
    return Holder(pid=os.getpid(), host=socket.gethostname(), started=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                  command=command)


def _write_holder(fd: int, command: str) -> None:
    data = (json.dumps(holder_record(command)) + "\n").encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


def read_holder(path: Path) -> Holder:
    """Who wrote the lock file (empty when it is new, or written by a process that died mid-write)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def refusal(directory: Path, holder: Holder) -> str:
    who = (f"PID {holder.get('pid', '?')} on host {holder.get('host', '?')} (started {holder.get('started', '?')}"
           + (f", `{holder['command']}`" if holder.get("command") else "") + ")") if holder else "another process"
    elsewhere = holder.get("host") not in (None, socket.gethostname())
    return (f"{directory} is in use by {who}: wait for it to finish or stop it"
            + (" on that host" if elsewhere else f" (kill {holder.get('pid')})" if holder.get("pid") else "")
            + ", then rerun; to run in parallel, use another --run-dir")
