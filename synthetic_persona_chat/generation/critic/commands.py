"""`spc critic`: the Critic on its own. `judge` re-judges any dataset; `calibrate` measures the checker."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ...cli_common import add_config_args
from ...jsontypes import JsonObject
from .calibrate import calibrate_checker, format_result, load_labels
from .judge import SUMMARY, VERDICTS, judge
from .summary import JudgeSummary


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
    summary = judge(args.input, args.out, config, split=args.split, limit=args.limit)
    print_summary(Console(), summary, args.out)
    return 0


def print_summary(console: Console, summary: JudgeSummary, out: str) -> None:
    table = Table(title=f"spc critic judge: {summary.input} ({summary.conversations} conversations)")
    table.add_column("expert")
    table.add_column("pass rate", justify="right")
    for expert, rate in summary.pass_rates.items():
        table.add_row(expert, f"{rate:.1%}")
    for expert, why in summary.not_run.items():
        table.add_row(expert, f"not run: {why}")
    table.add_row("[bold]all filters[/]", "—" if summary.pass_rate is None else f"{summary.pass_rate:.1%}")
    console.print(table)
    faith = summary.faithfulness
    if faith:
        figures = faith.figures()
        console.print(f"contradiction checker: {faith.checker.get('kind')}, threshold {faith.threshold:.3f} "
                      f"({faith.threshold_source})" + (f"; measured {figures}" if figures else ""))
    console.print(f"verdicts: {out}/{VERDICTS}; summary: {out}/{SUMMARY}")


def register_calibrate(critic_subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Adds `calibrate` to the `spc critic` group (the group itself lives in critic/commands.py)."""
    p = critic_subparsers.add_parser(
        "calibrate", help="measure the contradiction checker (or the toxicity scorer) on labelled data; pick its "
                          "threshold")
    p.add_argument("--expert", choices=("faithfulness", "toxicity", "llm-faithfulness", "llm-toxicity"),
                   default="faithfulness",
                   help="faithfulness: the contradiction checker on --labels; toxicity: the toxicity scorer on clean "
                        "--conversations and offensive lines (--labels, default: the package's labelled lines); "
                        "llm-faithfulness / llm-toxicity: the conversation-level LLM judge (models.llm) on --limit "
                        "clean --conversations and as many with a denial / an offensive line, one call each")
    p.add_argument("--limit", type=int, default=50,
                   help="llm-*: clean conversations used (each also corrupted once: 2x this many judge calls)")
    p.add_argument("--labels",
                   help='faithfulness: JSONL, one {"persona", "utterance", "label": contradiction|entailment|neutral} '
                        "a line; toxicity: LABEL<TAB>KIND<TAB>TEXT lines (data/toxicity_labels.txt)")
    p.add_argument("--conversations", default="spc-sample:test",
                   help="toxicity: clean SPC conversations (an SPC CSV or spc-sample:test|valid)")
    p.add_argument("--max-fpr", type=float, default=0.01,
                   help="toxicity: at most this share of clean calibration conversations rejected")
    p.add_argument("--ship", action="store_true",
                   help="toxicity: store the result as the scorer's release calibration "
                        "(models/toxicity_calibration.json)")
    add_config_args(p)
    p.add_argument("--out", help="write the calibration JSON here (default: print only)")
    p.add_argument("--split-seed", type=int, default=0, help="seed of the calibration/held-aside split")
    p.add_argument("--calibration-fraction", type=float, default=0.5,
                   help="share of each label used to choose the threshold; the rest is held aside (1.0: none)")
    p.set_defaults(func=run_calibrate)
    return p


def run_calibrate(args: argparse.Namespace) -> int:
    from ...config import load_config
    from ...models.contradiction import checker_from_config

    if args.expert == "toxicity":
        result, text = _run_toxicity(args, load_config(args.config, args.overrides).models)
    elif args.expert.startswith("llm-"):
        result, text = _run_llm_judge(args, load_config(args.config, args.overrides))
    elif not args.labels:
        raise SystemExit("spc critic calibrate: --labels FILE is required for the faithfulness expert")
    else:
        items = load_labels(args.labels)
        checker = checker_from_config(load_config(args.config, args.overrides).models)
        result = calibrate_checker(checker, items, args.split_seed, args.calibration_fraction)
        result["labels"] = {"file": str(Path(args.labels).resolve()), "n": len(items)}
        text = format_result(result)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


def _run_llm_judge(args: argparse.Namespace, config: Any) -> tuple[JsonObject, str]:
    """A conversation-level LLM expert's precision / recall / FPR (critic/calibrate_llm.py); the LLM cache
    lives in a throwaway run directory."""
    import tempfile

    from ...context import RunContext
    from ...models.toxicity_head import TOXIC, load_toxicity_labels
    from ...rundir import RunDir
    from .judge import clean_rows
    from .calibrate_llm import JudgeData, calibrate_judge, format_judge

    clean = clean_rows(args.conversations)[:args.limit]
    toxic = [it.text for it in load_toxicity_labels(args.labels) if it.label == TOXIC] \
        if args.expert == "llm-toxicity" else []
    with tempfile.TemporaryDirectory() as tmp:
        ctx = RunContext(config, RunDir(tmp).init(config))
        try:
            result = calibrate_judge(args.expert, ctx, clean, toxic, args.split_seed)
        finally:
            ctx.close()
    result.data = JudgeData(conversations=args.conversations, n_clean=len(clean))
    return result.to_json(), format_judge(result)


def _run_toxicity(args: argparse.Namespace, models: Any) -> tuple[JsonObject, str]:
    """The toxicity expert's calibration (critic/toxicity.py) on the configured scorer."""
    from ...models.toxicity import load_toxicity_scorer, ship_calibration, toxicity_key
    from ...models.toxicity_head import labels_path, load_toxicity_labels
    from ...readers import read_spc_csv
    from ...sample_data import resolve_path
    from .toxicity import calibrate_toxicity, format_calibration

    conversations, _ = read_spc_csv(resolve_path(args.conversations))
    labelled = load_toxicity_labels(args.labels)
    scorer = load_toxicity_scorer(models.toxicity)
    result = calibrate_toxicity(scorer, conversations, labelled, args.split_seed, args.calibration_fraction,
                                args.max_fpr)
    result["data"] = {"conversations": Path(args.conversations).name, "n_conversations": len(conversations),
                      "labels": str(Path(args.labels or labels_path()).resolve()), "n_labelled": len(labelled)}
    text = format_calibration(result)
    if args.ship:
        text += f"\nshipped as {toxicity_key(scorer)!r} in {ship_calibration(toxicity_key(scorer), result)}"
    return result, text
