"""Failure classes and their exit codes: what the CLI's one error boundary prints and returns.

A script that drives `spc` must be able to tell "your input is wrong" from "the disk is full" from
"the Hub said no" without parsing text, so every expected failure maps to one class with its own exit
code (documented in the README), and prints one line naming what failed, which file, key or URL,
and the fix. Anything else is a bug in spc: it keeps its traceback and asks for a report.

Every failure spc raises itself subclasses `SpcError` through one of the category classes below, and
the class carries its exit code: raising the right class is all a module does to get the right code.
Exceptions of other packages (a YAML parse error, an httpx transport error, a full disk) are classified
by class *name* (`THIRD_PARTY`), so this module imports nothing heavy. The CLI looks at the exception and
the chain it was raised `from` (libraries such as `datasets` wrap ours).
"""

from __future__ import annotations

import contextlib
import errno
import sys
from dataclasses import dataclass
from typing import Iterator, TextIO

BUG_REPORT = ("this is a bug in spc: please report it with the command you ran and the traceback above "
              "(rerun with -v for the full traceback)")


class SpcError(Exception):
    """Base of every failure spc expects: the subclass says the exit code and the label of the CLI line."""

    exit_code = 1
    label = ""


class UsageError(SpcError):
    """A wrong option, preset, config key or value: fix the command line or the config file."""

    exit_code, label = 2, "config"


class InputError(SpcError):
    """An input file or dataset that cannot be read as what it should be (seeds, SPC CSVs, records)."""

    exit_code, label = 3, "input"


class RunStateError(SpcError):
    """A run directory that is not in the state the command needs (missing, incomplete, another config)."""

    exit_code, label = 4, "run directory"


class LockedError(SpcError):
    """Another live process works in the same run directory."""

    exit_code, label = 5, "run directory locked"


class ModelError(SpcError):
    """A model that cannot be loaded or answered wrongly (LLM, bundled models, encoders)."""

    exit_code, label = 6, "model"


class NetworkError(SpcError):
    """The Hub or another server could not be reached or refused the request."""

    exit_code, label = 7, "Hub/network"


class StorageError(SpcError):
    """A file or database of ours that the disk or a damaged file keeps us from using."""

    exit_code, label = 8, "filesystem"


class ExportFolderError(SpcError):
    """The export folder cannot take (or does not hold) an export."""

    exit_code, label = 9, "export folder"


class NothingMeasuredError(SpcError):
    """An evaluation had nothing it could measure: every cell is 'not run'."""

    exit_code, label = 10, "nothing measured"


@dataclass(frozen=True)
class ExitClass:
    code: int
    label: str
    names: tuple[str, ...] = ()  # third-party exception class names (anywhere in the MRO) of this class


# Exceptions of other packages, by class name (`Name:package` where the bare name is ambiguous); ordered,
# the first match wins. Our own exceptions never appear here: their class says their code.
THIRD_PARTY = (
    ExitClass(3, "input", ("UnicodeDecodeError", "YAMLError", "JSONDecodeError", "TOMLDecodeError", "Error:csv")),
    ExitClass(7, "Hub/network", ("OfflineModeIsEnabled", "HfHubHTTPError", "TransportError", "HTTPStatusError")),
    ExitClass(8, "filesystem", ("OSError", "OperationalError", "DatabaseError")),
)
GENERIC = ExitClass(1, "")
UNEXPECTED = ExitClass(70, "internal")
INTERRUPTED = 130

OS_FIXES = {
    errno.ENOSPC: "free disk space (or use a folder on another disk), then rerun the same command: finished "
                  "work is kept",
    errno.EDQUOT: "free space within your quota, then rerun the same command: finished work is kept",
    errno.EFBIG: "the file grew past the allowed size (ulimit -f): raise the limit or use smaller outputs, then "
                 "rerun the same command",
    errno.EACCES: "make it writable for you (chmod u+w) or choose another folder",
    errno.EPERM: "make it writable for you (chmod u+w) or choose another folder",
    errno.EROFS: "that file system is read-only: choose a folder on a writable disk",
    errno.ENOENT: "check the path",
    errno.ENOTDIR: "a path component is a file, not a folder: check the path",
    errno.EISDIR: "give a file, not a folder",
}
SQLITE_FIXES = {
    "disk is full": OS_FIXES[errno.ENOSPC],
    "disk i/o error": "the disk is full or failing (or a file size limit was hit): free space, then rerun the "
                      "same command: finished work is kept",
    "readonly": OS_FIXES[errno.EACCES],
    "unable to open": "check that the run directory exists and is writable",
    "locked": "another process holds the database: let it finish, then rerun",
    "malformed": "the cache file is damaged: delete it (answers will be paid for again) and rerun",
    "not a database": "the cache file is damaged: delete it (answers will be paid for again) and rerun",
}
HTTP_FIXES = {
    401: "the token is missing or invalid: set HF_TOKEN or run `hf auth login`",
    403: "the token may not write there: use a token with write access to that namespace",
    404: "not found: check the repo id and that the token's user can see it",
    429: "rate-limited: wait a few minutes, then rerun the same command",
}


def print_line(line: str, stream: TextIO | None = None) -> None:
    """Print the failure line on a line of its own.

    A failure inside a stage interrupts its progress bar, whose last frame stays on stderr with no newline
    (bars redraw in place), so the `spc: ...` line used to be glued to it and a script looking for a line
    that starts with `spc: ` found none. The bars still open are closed first: each ends its line."""
    bars = sys.modules.get("tqdm.std")  # only when a bar can exist: this module imports nothing heavy
    for bar in list(getattr(getattr(bars, "tqdm", None), "_instances", None) or []):
        with contextlib.suppress(Exception):
            bar.close()
    print(line, file=stream or sys.stderr, flush=True)


def chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then what it was raised from (`raise ... from`), outermost first; cycles stop."""
    seen: set[int] = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        yield node
        node = node.__cause__


def _names(exc: BaseException) -> set[str]:
    out = set()
    for cls in type(exc).__mro__:
        out.add(cls.__name__)
        out.add(f"{cls.__name__}:{cls.__module__.split('.')[0].lstrip('_')}")
    return out


def classify(exc: BaseException) -> tuple[ExitClass, BaseException]:
    """The exit class of `exc` and the exception (in its chain) that decided it."""
    for node in chain(exc):
        if isinstance(node, SpcError):
            return ExitClass(node.exit_code, node.label), node
        names = _names(node)
        for cls in THIRD_PARTY:
            if names & set(cls.names):
                if cls.label == "filesystem" and not _is_environment_error(node):
                    continue
                return cls, node
    if isinstance(exc, (ValueError, RuntimeError)) or (isinstance(exc, OSError) and not exc.errno):
        return GENERIC, exc
    return UNEXPECTED, exc


def _is_environment_error(exc: BaseException) -> bool:
    """An OSError with an errno, or sqlite's OperationalError about the disk or file (not an SQL bug)."""
    if isinstance(exc, OSError):
        return bool(exc.errno)
    text = str(exc).lower()
    return type(exc).__name__ in ("OperationalError", "DatabaseError") and any(key in text for key in SQLITE_FIXES)


def one_line(exc: BaseException) -> tuple[int, str]:
    """(exit code, the single line to print) for an exception reaching the CLI boundary."""
    cls, node = classify(exc)
    if cls is UNEXPECTED:
        return cls.code, f"spc: internal error: {type(exc).__name__}: {_flat(str(exc))}; {BUG_REPORT}"
    # Our own wrapper (e.g. the publisher's "nothing was published; rerun") already says what and how to fix;
    # a library's wrapper (datasets' DatasetGenerationError) does not: then the deciding exception speaks.
    speaker = exc if node is not exc and _is_ours(exc) else node
    text = _flat(describe(speaker, cls) if speaker is node else str(exc))
    # the generic class has no label: "spc: error: ...", never the doubled "spc: error error: ..."
    return cls.code, f"spc: {cls.label + ' ' if cls.label else ''}error: {text}"


def _is_ours(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("synthetic_persona_chat") and bool(str(exc))


def describe(exc: BaseException, cls: ExitClass) -> str:
    """What failed, where (file/key/URL) and the fix; our own errors already say all three."""
    if cls.label == "filesystem":
        return _describe_os(exc)
    if cls.label == "Hub/network":
        return _describe_http(exc)
    if isinstance(exc, UnicodeDecodeError):
        return f"{exc}; save the file as UTF-8 and rerun"
    if type(exc).__name__ in ("YAMLError", "JSONDecodeError") or "YAMLError" in _names(exc):
        return f"cannot parse: {exc}"
    return str(exc) or type(exc).__name__


def _describe_os(exc: BaseException) -> str:
    if _is_ours(exc):
        return str(exc)
    if not isinstance(exc, OSError):  # sqlite3.OperationalError
        text = str(exc)
        fix = next((fix for key, fix in SQLITE_FIXES.items() if key in text.lower()), "")
        return f"database error: {text}; {fix}"
    where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f) or "(file not named by the system)"
    what = exc.strerror or str(exc)
    fix = OS_FIXES.get(exc.errno or 0, "check the path and its permissions")
    return f"{what}: {where}; {fix}"


def _describe_http(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "OfflineModeIsEnabled":
        return f"{exc}; unset HF_HUB_OFFLINE to reach the Hub, or use --dry-run"
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    url = _url(exc, response)
    if status is not None:
        fix = HTTP_FIXES.get(status, "the server failed: retry later" if status >= 500 else "check the request")
        return f"HTTP {status} from {url}: {_first_line(str(exc))}; {fix}"
    if isinstance(exc, SpcError) and not isinstance(exc, OSError):  # ours (PublishError): names step and fix
        return str(exc)
    return (f"cannot reach {url}: {_first_line(str(exc)) or name}; check the network (or HF_ENDPOINT / the "
            f"endpoint URL), then rerun the same command")


def _url(exc: BaseException, response: object) -> str:
    for holder in (response, getattr(exc, "request", None)):
        try:
            url = getattr(holder, "url", None)
        except RuntimeError:  # httpx raises when an exception has no request attached
            url = None
        if url:
            return str(url)
    return "the server"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _flat(text: str) -> str:
    """One line: a multi-line message is joined, so scripts and logs see one record per failure."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())
