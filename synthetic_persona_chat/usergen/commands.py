"""`spc personas expand`, `spc profiles`, `spc pairs`: the user-generation stages on a run directory.

Each command is named after the stage it runs, which is also its run-directory folder and its config
section (`pairs/`, `[pairs]`); `spc pair` is the old name of `spc pairs` and still works.
"""

from __future__ import annotations

import argparse
import json
import logging

from ..cli_common import add_config_args
from ..config import load_config
from ..context import RunContext
from ..rundir import RunDir

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:

    personas = sub.add_parser("personas", help="persona attribute pools")
    psub = personas.add_subparsers(dest="personas_command", metavar="SUBCOMMAND")
    expand = psub.add_parser("expand", help="cluster seed attributes into categories, induce a query per "
                                            "category and bootstrap new attributes")
    expand.add_argument("--seeds", help="seed attributes: .txt (one per line), .csv (expand.seed_column or SPC's "
                                        "persona columns) or .jsonl; not needed when resuming")
    _common(expand, add_config_args)
    expand.set_defaults(func=lambda a: _run(a, "expand"))
    personas.set_defaults(func=lambda _a: personas.print_help() or 2)

    profiles = sub.add_parser("profiles", help="build consistent user profiles from the expanded pool")
    _common(profiles, add_config_args)
    profiles.set_defaults(func=lambda a: _run(a, "profiles"))

    for name, note in (("pairs", ""), ("pair", " (deprecated name of `spc pairs`)")):
        pairs = sub.add_parser(name, help=f"pair users that share persona categories{note}")
        _common(pairs, add_config_args)
        pairs.set_defaults(func=lambda a, old=bool(note): _run(a, "pairs", old_name=old))


def _common(parser: argparse.ArgumentParser, add_config_args) -> None:
    parser.add_argument("--run-dir", required=True, help="run directory (created, or resumed)")
    parser.add_argument("--allow-config-change", action="store_true",
                        help="resume a run whose stored config differs from this one")
    add_config_args(parser)


def _context(args: argparse.Namespace) -> RunContext:
    run = RunDir(args.run_dir)
    if (run.path / "config.yaml").exists() and not args.config and not args.overrides:
        config = run.config()  # resuming: the run's own config
    else:
        config = load_config(args.config, args.overrides)
    return RunContext(config, run.init(config, allow_config_change=args.allow_config_change))


def _run(args: argparse.Namespace, stage: str, old_name: bool = False) -> int:
    from .stages import run_expand, run_pairs, run_profiles

    if old_name:
        log.warning("`spc pair` is now called `spc pairs` (like its folder pairs/ and config section [pairs]); "
                    "the old name still works but is deprecated")
    ctx = _context(args)
    try:
        if stage == "expand":
            summary = run_expand(ctx, seeds_path=args.seeds)
        elif stage == "profiles":
            summary = run_profiles(ctx)
        else:
            summary = run_pairs(ctx)
    finally:
        ctx.close()
    print(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
    return 0
