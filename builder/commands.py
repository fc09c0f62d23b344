"""`spc build` and `spc push`: package a run (or the SPC release) and publish it to the Hub."""

from __future__ import annotations

import argparse
import sys

from synthetic_persona_chat.errors import UsageError

from .export import CONFIGS, ExportError, export
from .nup import NUM_CANDIDATES
from .publish import describe_plan, push, push_status
from .skips import SKIP_FILE
from .sources import SPC_URL
from .upload_check import CHECKS


def register(subparsers) -> None:
    b = subparsers.add_parser(
        "build", help="build the dataset (all configs) from a run directory or the SPC release into a folder",
        description="Build every config from SOURCE and export Parquet + a README.md dataset card to --out; "
                    "stock `datasets.load_dataset(OUT, CONFIG)` loads it.")
    b.add_argument("source", help=f"run directory, SPC release folder, or a URL prefix of the release "
                                  f"(e.g. {SPC_URL})")
    b.add_argument("--out", required=True, help="export folder (created; refused if it holds another version)")
    b.add_argument("--version", default="1.0.0", help="dataset version recorded in the export (default 1.0.0)")
    b.add_argument("--configs", default=",".join(CONFIGS), help=f"comma-separated subset of {','.join(CONFIGS)}")
    b.add_argument("--nup-seed", type=int, default=0, help="seed of the NUP distractor draw (default 0)")
    b.add_argument("--num-candidates", type=int, default=NUM_CANDIDATES, help="NUP candidates per row (default 20)")
    b.add_argument("--license", default="cc-by-4.0", help="license id for the card (default cc-by-4.0, as SPC)")
    b.add_argument("--repo", default=None, help="repo id for the card's loading example (default: filled in by "
                                                "`spc push --repo`)")
    b.add_argument("--partner-persona", action="store_true",
                   help="`messages`: put the partner's persona in the system message too")
    b.add_argument("--overwrite", action="store_true", help="replace an export folder holding another version")
    b.set_defaults(func=_build)

    p = subparsers.add_parser(
        "push", help="publish an export folder to the Hugging Face Hub (one commit + a version tag)",
        description="Create the dataset repo if needed, upload the export in one commit and tag it. The token "
                    "comes from HF_TOKEN or `hf auth login`. A failed push publishes nothing: rerun it.")
    p.add_argument("folder", help="export folder written by `spc build`")
    p.add_argument("--repo", required=True, help="NAMESPACE/NAME on the Hub")
    p.add_argument("--revision", help="version tag (default: v + the export's version)")
    p.add_argument("--private", action="store_true", help="create the repo private")
    p.add_argument("--prune", action="store_true",
                   help="delete from main the configs the Hub repo has and this export lacks (refused otherwise)")
    p.add_argument("--dry-run", action="store_true",
                   help="validate the card locally and show what would be uploaded; contact nothing")
    p.add_argument("--status", action="store_true",
                   help="show what the Hub repo holds (versions, a pending one an interrupted push left, whether "
                        "this export is published); change nothing")
    p.set_defaults(func=_push)


def _build(args: argparse.Namespace) -> int:
    configs = tuple(c.strip() for c in args.configs.split(",") if c.strip())
    unknown = sorted(set(configs) - set(CONFIGS))
    if unknown:
        raise UsageError(f"--configs: unknown config(s) {unknown}; choose from {list(CONFIGS)}")
    result = export(args.source, args.out, version=args.version, configs=configs, nup_seed=args.nup_seed,
                    num_candidates=args.num_candidates, license=args.license, overwrite=args.overwrite,
                    repo_hint=args.repo, partner_persona=args.partner_persona)
    print(f"built {result.folder} (version {result.version})")
    for name, splits in result.rows.items():
        print(f"  {name}: " + ", ".join(f"{split} {n:,}" for split, n in splits.items()))
    for name, reason in result.skipped_configs.items():
        print(f"  {name}: not built: {reason}")
    if result.skips:
        print(f"  {len(result.skips)} input record(s) skipped: by reason in the card's 'Skipped records', each one "
              f"in {result.folder / SKIP_FILE}")
    return 0


def _push(args: argparse.Namespace) -> int:
    if args.status:
        print(push_status(args.folder, args.repo))
        return 0
    result = push(args.folder, args.repo, revision=args.revision, private=args.private, dry_run=args.dry_run,
                  prune=args.prune)
    plan = result.plan
    if args.dry_run:
        print("dry run, nothing uploaded:\n" + describe_plan(plan))
        print(f"checked {len(result.scan.checked)} files for {', '.join(c.name + 's' for c in CHECKS)}: "
              + ", ".join(result.scan.checked))
        if result.ok:
            print("card: valid (metadata, configs and their files, no placeholders); no file shows a machine path")
            return 0
        print("NOT publishable:\n" + "\n".join(f"  {line}" for line in result.problems()), file=sys.stderr)
        return ExportError.exit_code
    if result.settled:
        print(result.settled)
    if result.already_published:
        print(f"{plan.repo_id}@{plan.revision} already holds this export (commit {result.commit}); nothing to do")
    else:
        print(f"published {plan.repo_id}@{plan.revision}: {len(plan.files)} files in commit {result.commit}")
        if result.deleted:
            print(f"  removed files of the previous version: {', '.join(result.deleted)}")
    return 0
