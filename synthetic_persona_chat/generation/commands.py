"""`spc generate`: the whole framework as one resumable command, with a summary at the end."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from ..cli_common import add_config_args
from .. import presets
from ..config import load_config
from ..context import RunContext
from ..rundir import RunDir
from ..jsontypes import JsonObject
from .run_summary import ConversationsSummary

if TYPE_CHECKING:  # annotations only: the stages load on use, to keep `spc --help` fast
    from synthetic_persona_chat.generation.estimate import Estimate
    from synthetic_persona_chat.generation.pipeline import GenerateResult

PRESETS = Path(__file__).resolve().parent / "presets"


def register(sub: argparse._SubParsersAction) -> None:

    p = sub.add_parser("generate", help="user generation (expand -> profiles -> pairs) -> Generator-Critic conversations (resumable)")
    add_config_args(p)
    p.add_argument("--preset", help=f"start from a packaged config: {', '.join(preset_names())}")
    p.add_argument("--run-dir", help="run directory (default runs/<preset or config name>); rerun to resume")
    p.add_argument("--seeds", help="seed persona file for user generation (default: the config's)")
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="run the conversation stage in this process (default) or on Ray Data ([ray] extra)")
    p.add_argument("--address", help="Ray cluster address (with --engine ray; default: the `ray` section's, "
                                     "else a local Ray runtime)")
    p.add_argument("--allow-config-change", action="store_true",
                   help="resume a run directory whose stored config differs from this one")
    p.add_argument("--estimate", action="store_true",
                   help="print LLM calls, tokens, wall time and cost (with an `estimate` price table), run nothing")
    p.set_defaults(func=run_command)


def preset_names() -> list[str]:
    return presets.preset_names(PRESETS)


def load_preset(name: str | None) -> JsonObject:
    """The packaged config `name` (`--preset`), or nothing: a whole config, read as a user's file is."""
    return presets.read_preset(PRESETS, name) if name else {}


def default_run_dir(args: argparse.Namespace) -> Path:
    name = args.preset or (Path(args.config).stem if args.config else "default")
    return Path("runs") / name


def run_command(args: argparse.Namespace) -> int:
    from .pipeline import run_generate

    from .estimate import estimate_run, write_estimate

    config = load_config(args.config, args.overrides, base=load_preset(args.preset))
    console = Console(stderr=False)
    run_path = Path(args.run_dir or default_run_dir(args))
    if args.estimate:  # before anything is spent: no run directory, no model
        print_estimate(console, estimate_run(config, run_path if run_path.exists() else None, args.seeds))
        return 0
    run = RunDir(run_path).init(config, allow_config_change=args.allow_config_change)
    if not (run.path / "estimate.json").exists():  # the estimate made before the first start, kept for the summary
        try:
            write_estimate(run.path, estimate_run(config, None, args.seeds))
        except (OSError, ValueError, RuntimeError) as exc:  # the run itself reports bad inputs, with context
            logging.getLogger(__name__).warning("no estimate for this run: %s", exc)
    ctx = RunContext(config, run)
    console.print(f"run directory: [bold]{run.path}[/]")
    try:
        result = run_generate(ctx, seeds_path=args.seeds, engine=make_engine(args, config))
    finally:
        ctx.close()
    print_summary(console, result, run.path)
    return 0


def make_engine(args: argparse.Namespace, config: Any) -> Any:
    """None means the local engine; `--engine ray` builds the Ray Data engine from the `ray` section."""
    if args.engine != "ray":
        return None
    try:
        import ray  # noqa: F401
    except ImportError as exc:
        raise RuntimeError("--engine ray needs Ray: pip install 'synthetic-persona-chat[ray]'") from exc
    from .ray_engine import make_ray_engine, ray_config

    settings = ray_config(config)
    if args.address:
        settings.address = args.address
    return make_ray_engine(settings)


def print_summary(console: Console, result: GenerateResult, path: Path) -> None:
    """The closing table: the conversations stage's typed summary (all runs) beside this invocation's seconds.

    `result` is `run_generate`'s answer: every stage's summary (free-form for the stages before this one)."""
    conv = ConversationsSummary.from_json(result["stages"]["conversations"])
    table = Table(title=f"spc generate: {path}")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("pairs", str(conv.pairs))
    table.add_row("candidates", str(conv.candidates))
    for expert, rate in (conv.pass_rates or {}).items():
        table.add_row(f"pass rate: {expert}", f"{rate:.0%}")
    table.add_row("winners", str(conv.winners))
    tokens = conv.tokens or {}
    table.add_row("LLM tokens in / out", f"{tokens.get('prompt_tokens', 0)} / {tokens.get('completion_tokens', 0)}")
    table.add_row("LLM calls (this run / cached)", f"{conv.llm_calls_this_run or 0} / {conv.cache_hits_this_run or 0}")
    for stage, seconds in result.get("seconds", {}).items():
        table.add_row(f"time: {stage} (this run)", f"{seconds:.1f}s")
    for stage, seconds in (conv.seconds_per_stage or {}).items():
        table.add_row(f"time: conversations/{stage} (all runs)", f"{seconds:.1f}s")
    _add_estimate_rows(table, path)
    console.print(table)
    console.print(f"winners: {path / 'conversations' / 'conversations.parquet'}; every candidate and verdict: "
                  f"{path / 'conversations' / 'candidates.parquet'}")


def print_estimate(console: Console, est: Estimate) -> None:
    table = Table(title=f"spc generate --estimate: {est.pairs} pairs, {est.backend} backend")
    for col in ("role", "calls", "requests", "prompt tokens", "completion tokens", "at most"):
        table.add_column(col, justify="left" if col == "role" else "right")
    counts = ("calls", "requests", "prompt_tokens", "completion_tokens", "completion_tokens_max")
    for line in est.lines:
        table.add_row(line.role, *(f"{getattr(line, k):,}" for k in counts))
    table.add_row("total", *(f"{est.total[k]:,}" for k in counts))
    console.print(table)
    console.print(f"candidates assumed to pass the filters: {est.pass_rate:.0%} ({est.pass_rate_source})")
    if est.attempts_per_pair is not None:
        console.print(f"Generator rounds per pair with retries (generation.retries): {est.attempts_per_pair:.2f}")
    if est.wall_seconds is not None:
        console.print(f"wall time: ~{est.wall_seconds:,.0f} s ({est.wall_seconds / 3600:,.1f} h) "
                      f"{_wall_basis(est.wall_assumes or {})}")
    if est.cost is not None:
        c = est.cost
        console.print(f"cost: ~{c.expected:.2f} {c.currency} (at most {c.at_most_completion:.2f} "
                      f"with every completion at max_tokens)")
    else:
        console.print("cost: set estimate.prompt_price_per_million and estimate.completion_price_per_million")


def _wall_basis(a: dict[str, float]) -> str:
    if "tokens_per_second" in a:
        return f"at the endpoint's {a['tokens_per_second']:,} completion tokens/s (estimate.tokens_per_second)"
    return (f"at {a['concurrency']} requests in flight, {a['seconds_per_request']} s per request "
            f"(estimate.seconds_per_request)")


def _add_estimate_rows(table: Table, path: Path) -> None:
    """After a run: the estimate made before it beside what the run paid (its answer cache, all resumes)."""
    import json

    from .estimate import actual_calls

    est_path = path / "estimate.json"
    actual = actual_calls(path)
    if est_path.exists() and actual is not None:
        est = json.loads(est_path.read_text())
        table.add_row("LLM calls: estimated / actual", f"{est['total']['calls']} / {actual}")
