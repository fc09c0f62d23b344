"""`spc`: the command line. Each command group lives next to the code it drives and
registers itself here through `register(subparsers)`, so this file stays a table of contents."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

from . import __version__, errors, logs, redact

# One module per command group; each exposes register(subparsers).
COMMAND_MODULES = (
    "synthetic_persona_chat.models.check",
    "synthetic_persona_chat.usergen.commands",
    "synthetic_persona_chat.generation.commands",
    "synthetic_persona_chat.generation.critic.commands",
    "synthetic_persona_chat.builder.commands",
    "synthetic_persona_chat.eval.cli",
    "synthetic_persona_chat.annotate.commands",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spc", description="Generate, package, publish and benchmark persona-based conversation datasets.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    use_system_arrow_pool()
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.configure(args.verbose)  # spc's own INFO lines; other libraries' logs and bars only with -v
    redact.install_log_filter()  # no API key, token or URL password in any log line
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted: rerun the same command to resume", file=sys.stderr)
        return errors.INTERRUPTED
    except Exception as exc:  # the one error boundary: one line + an exit code per class (errors.py)
        return report_failure(exc, args.verbose)


def use_system_arrow_pool() -> None:
    """Arrow allocates from the C library's malloc in `spc` (unless ARROW_DEFAULT_MEMORY_POOL says otherwise).

    Why: pyarrow's default pool (mimalloc or jemalloc) keeps the pages it frees, and the conversation stage reads
    every batch unit back once per round: in the paper-scale rehearsal the driver's conversation stage grew by
    250 MB over 4,000 conversations with the default pool and by 108 MB with the system one
    (docs/performance.md, "Paper scale, rehearsed"). Arrow work here is small I/O, so the allocator's speed
    does not show."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def report_failure(exc: BaseException, verbose: int) -> int:
    """Print the failure's one line (after its traceback with -v, or always for a bug); return its exit code."""
    code, line = errors.one_line(exc)
    if verbose or code == errors.UNEXPECTED.code:
        sys.stderr.write(redact.redact_text("".join(traceback.format_exception(exc))))
    errors.print_line(redact.redact_text(line))
    return code


if __name__ == "__main__":
    sys.exit(main())
