"""`spc annotate create | serve | export | results`: a human study from the command line.

    spc annotate create STUDY --real spc-sample:test --synthetic run=RUN [--annotators 3 --items-per-annotator 12
                              --overlap 2 --tasks turing,quality,faithfulness --seed 0] [--config study.yaml]
    spc annotate serve STUDY [--host 127.0.0.1 --port 7860]
    spc annotate results STUDY --out OUT      # OUT/human.json -> `spc eval report OUT`
    spc annotate export STUDY --out EXPORT    # the `annotations` config beside an `spc build` export

A study folder holds study.yaml (the design), study.sqlite (items, queues, answers) and invites.txt
(the links, readable by the owner only: the database keeps only token hashes).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .store import STUDY_DB, StudyStore, study_file

STUDY_YAML, INVITES = "study.yaml", "invites.txt"


def register(sub: argparse._SubParsersAction) -> None:
    an = sub.add_parser("annotate", help="human evaluation in the browser: Turing test, quality, faithfulness")
    asub = an.add_subparsers(dest="annotate_command", metavar="SUBCOMMAND")

    c = asub.add_parser("create", help="sample a study's items and write invite links")
    c.add_argument("study", help="new study folder")
    c.add_argument("--config", help="study YAML (keys of StudyConfig); flags below override it")
    c.add_argument("--real", help="human-written conversations: SPC/ParlAI file, folder, hub:ID, spc-sample:test")
    c.add_argument("--synthetic", action="append", default=[], metavar="NAME=SOURCE",
                   help="generated conversations (run dir, export, hub:ID, csv); repeatable")
    c.add_argument("--split", help="split read from folder/Hub sources (default test)")
    c.add_argument("--tasks", help="comma-separated: turing,quality,faithfulness")
    c.add_argument("--aspects", help="comma-separated quality aspects (default: the paper's five)")
    c.add_argument("--annotators", type=int)
    c.add_argument("--items-per-annotator", type=int)
    c.add_argument("--overlap", type=int, help="judges per item")
    c.add_argument("--seed", type=int)
    c.add_argument("--show", help="comma-separated metadata to show: personas,source,iteration,conversation_id")
    c.add_argument("--name", help="study name shown on the page")
    c.add_argument("--base-url", default="http://127.0.0.1:7860", help="where the app will be reachable")
    c.set_defaults(func=run_create)

    s = asub.add_parser("serve", help="run the annotation app (needs the [annotate] extra)")
    s.add_argument("study")
    s.add_argument("--host", default="127.0.0.1", help="0.0.0.0 to let others on the network in")
    s.add_argument("--port", type=int, default=7860)
    s.add_argument("--base-url", help="where annotators reach this server (default http://HOST:PORT); the "
                                      "invite links are rewritten for it")
    s.set_defaults(func=run_serve)

    r = asub.add_parser("results", help="write OUT/human.json for `spc eval report OUT` and print the tables")
    r.add_argument("study")
    r.add_argument("--out", required=True)
    r.set_defaults(func=run_results)

    e = asub.add_parser("export", help="write the answers as the `annotations` config into an export folder")
    e.add_argument("study")
    e.add_argument("--out", required=True, help="an `spc build` export folder (or a new folder)")
    e.set_defaults(func=run_export)
    an.set_defaults(func=lambda _a: an.print_help() or 2)


def _config(args: argparse.Namespace):
    from .config import StudyConfig

    config = StudyConfig.from_file(args.config) if args.config else StudyConfig()
    for key in ("real", "split", "annotators", "items_per_annotator", "overlap", "seed", "name"):
        if getattr(args, key) is not None:
            setattr(config, key, getattr(args, key))
    for key in ("tasks", "aspects", "show"):
        if getattr(args, key) is not None:
            setattr(config, key, tuple(x.strip() for x in getattr(args, key).split(",") if x.strip()))
    for entry in args.synthetic:
        name, sep, source = entry.partition("=")
        if not sep or not name.strip() or not source.strip():
            raise ValueError(f"--synthetic {entry!r} must look like NAME=SOURCE")
        config.synthetic[name.strip()] = source.strip()
    return config.validate()


def create_study(study_dir: str | Path, config) -> dict[str, str]:
    """Read the datasets, sample and assign items, write the study folder; returns {name: token}."""
    import yaml

    from synthetic_persona_chat.eval.data import Unavailable, load_dataset

    from .items import assign, build_items

    study_dir = Path(study_dir)
    loaded = {}
    for name, source in {"real": config.real, **config.synthetic}.items():
        ds = load_dataset(source, config.split, name, min_conversations=1)
        if isinstance(ds, Unavailable):
            raise FileNotFoundError(f"{name} ({source}): {ds.reason}")
        loaded[name] = ds.conversations
    real = loaded.pop("real")
    items = build_items(config, real, loaded)
    _, tokens = StudyStore.create(study_dir / STUDY_DB, config, items, assign(items, config))
    (study_dir / STUDY_YAML).write_text(yaml.safe_dump({"study": config.to_dict()}, sort_keys=False), encoding="utf-8")
    return tokens


def invite_links(tokens: dict[str, str], base_url: str) -> dict[str, str]:
    base = base_url.rstrip("/")
    return {name: f"{base}/{'admin' if name == 'admin' else ''}?token={tok}" for name, tok in tokens.items()}


def write_invites(study: str | Path, links: dict[str, str]) -> Path:
    """invites.txt, readable by its owner only (mode 0600): it holds the tokens, the study database only
    their hashes."""
    path = Path(study) / INVITES
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("".join(f"{name}\t{link}\n" for name, link in links.items()))
    return path


def relinked(study: str | Path, base_url: str) -> dict[str, str]:
    """The study's invite links for the server at `base_url`: the links written at `create` named the port
    chosen then, so `serve --port 7861` left every one of them pointing nowhere."""
    tokens = {}
    for line in (Path(study) / INVITES).read_text(encoding="utf-8").splitlines():
        name, _, link = line.partition("\t")
        token = parse_qs(urlsplit(link).query).get("token", [""])[0]
        if name and token:
            tokens[name] = token
    return invite_links(tokens, base_url)


def run_create(args: argparse.Namespace) -> int:
    config = _config(args)
    tokens = create_study(args.study, config)
    links = invite_links(tokens, args.base_url)
    path = write_invites(args.study, links)
    print(f"study {config.name}: {config.total_items} items, {config.annotators} annotators x "
          f"{config.items_per_annotator} items, overlap {config.overlap}")
    print(f"invite links (also in {path}, readable by you only: mode 0600; the study database keeps only their "
          f"hashes; `spc annotate serve` rewrites them for the port it serves on):")
    for name, link in links.items():
        print(f"  {name}: {link}")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from .app import serve

    study_file(args.study)
    base = args.base_url or f"http://{args.host}:{args.port}"
    if (Path(args.study) / INVITES).exists():
        write_invites(args.study, relinked(args.study, base))
    print(f"serving {args.study} on {base} (invite links for it in {Path(args.study) / INVITES})")
    serve(args.study, args.host, args.port, block=True)
    return 0


def run_results(args: argparse.Namespace) -> int:
    import json

    from synthetic_persona_chat.eval.human_report import markdown
    from synthetic_persona_chat.eval.human_result import HumanResult

    from .results import write_results

    path = write_results(StudyStore(study_file(args.study)), args.out)
    print(markdown(HumanResult.from_json(json.loads(path.read_text(encoding="utf-8")))))
    print(f"written: {path} (render with `spc eval report {args.out}`)")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from .export import export_annotations

    rows = export_annotations(StudyStore(study_file(args.study)), args.out)
    print(f"annotations: {rows} rows written to {Path(args.out) / 'annotations'} (publish with `spc push {args.out}`)")
    return 0
