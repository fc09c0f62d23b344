"""`spc critic`: the Critic on its own. `judge` re-judges any dataset; `calibrate` measures the checker."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.table import Table

from ...cli_common import add_config_args
from .calibrate import register_calibrate
from .judge import SUMMARY, VERDICTS, judge_source


def register(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("critic", help="run the Critic on existing conversations; calibrate its checker")
    critic_sub = group.add_subparsers(dest="critic_command", metavar="COMMAND")
    p = critic_sub.add_parser("judge", help="judge conversations with the configured filter experts")
    p.add_argument("input", help="SPC CSV or folder, ParlAI .txt, our .jsonl/.parquet, a run directory, "
                                 "spc-sample:test or hub:ID[@split]")
    p.add_argument("--out", required=True, help=f"output folder: {VERDICTS}, {SUMMARY} (and the LLM cache)")
    p.add_argument("--split", default="test", help="split to read from a folder or Hub source (default test)")
    p.add_argument("--limit", type=int, help="judge only the first N conversations")
    add_config_args(p)
    p.set_defaults(func=run_judge)
    register_calibrate(critic_sub)


def run_judge(args: argparse.Namespace) -> int:
    from ...config import load_config

    config = load_config(args.config, args.overrides)
    summary = judge_source(args.input, args.out, config, split=args.split, limit=args.limit)
    print_summary(Console(), summary, args.out)
    return 0


def print_summary(console: Console, summary: dict[str, Any], out: str) -> None:
    table = Table(title=f"spc critic judge: {summary['input']} ({summary['conversations']} conversations)")
    table.add_column("expert")
    table.add_column("pass rate", justify="right")
    for expert, rate in summary["pass_rates"].items():
        table.add_row(expert, f"{rate:.1%}")
    for expert, why in summary["not_run"].items():
        table.add_row(expert, f"not run: {why}")
    table.add_row("[bold]all filters[/]", "—" if summary["pass_rate"] is None else f"{summary['pass_rate']:.1%}")
    console.print(table)
    faith = summary.get("faithfulness")
    if faith:
        cal = faith.get("calibration") or {}
        figures = ", ".join(f"{k} {cal[k]:.2f}" for k in ("auroc", "f1") if isinstance(cal.get(k), (int, float)))
        console.print(f"contradiction checker: {faith['checker'].get('kind')}, threshold {faith['threshold']:.3f} "
                      f"({faith['threshold_source']})" + (f"; measured {figures}" if figures else ""))
    console.print(f"verdicts: {out}/{VERDICTS}; summary: {out}/{SUMMARY}")
