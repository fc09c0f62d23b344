"""`spc eval nup | quality | report`: the evaluation suite from the command line.

    spc eval nup --out OUT --preset small --spc ../shared/data/spc \\
        [--spc-train Synthetic-Persona-Chat_valid.csv] [--persona-chat-train train_self_original.txt] \\
        [--persona-chat-test valid_self_original.txt | hub:ID@validation] [--run RUN] [--push NAMESPACE]
        [--license apache-2.0] [--dataset-repo NAMESPACE/RUN-DATASET] [--dataset-repo Persona-Chat=ID]
    spc eval quality --out OUT --dataset spc=../shared/data/spc/Synthetic-Persona-Chat_test.csv \\
        --dataset run=RUN [--dataset persona-chat=valid_self_original.txt --real persona-chat --synthetic run]
    spc eval sft --out OUT --preset small --spc spc-sample:test [--spc-train spc-sample:valid] \\
        [--persona-chat-train ...] [--persona-chat-test ...] [--run RUN]
    spc eval report OUT

Full NUP settings (GPU) are the `[eval_nup]` defaults; `--preset small` subsamples and trains
1 epoch so the whole table finishes on 2 CPU cores in minutes.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from .measured import require_nup_measured, require_quality_measured

if TYPE_CHECKING:  # annotations only: the command loads its modules on use (`spc --help` stays fast)
    from .data import Dataset, Unavailable
    from .diversity_result import SizeMatched
    from .quality_result import DetectionJson

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    from synthetic_persona_chat.cli_common import add_config_args

    from .crosstable import PRESETS

    ev = sub.add_parser("eval", help="benchmark datasets: NUP cross table, quality metrics, reports")
    esub = ev.add_subparsers(dest="eval_command", metavar="SUBCOMMAND")

    nup = esub.add_parser("nup", help="next-utterance-prediction cross table (fine-tune + baselines)")
    add_config_args(nup)
    nup.add_argument("--out", required=True, help="output folder (nup.json, nup.md, models/, cards)")
    nup.add_argument("--preset", choices=sorted(PRESETS), default="full",
                     help="small: subsampled, 1 epoch, CPU minutes; full: the [eval_nup] defaults (GPU); "
                          "paper: the paper's NUP protocol (persona + whole history, its training sets, all "
                          "conversations) with its published figures as a reference column")
    add_data_args(nup)
    nup.add_argument("--push", metavar="NAMESPACE",
                     help="push each fine-tuned ranker to NAMESPACE/spc-nup-ranker-<train set> "
                          "(token from HF_TOKEN or `hf auth login`)")
    nup.add_argument("--public", action="store_true", help="create pushed repos as public (default private)")
    add_card_args(nup, "eval_nup")
    nup.set_defaults(func=run_nup)

    from .sft import PRESETS as SFT_PRESETS

    sft = esub.add_parser("sft", help="generative track: fine-tune a causal LM on the `messages` config (TRL), "
                                      "perplexity / F1 / hits@1 by likelihood / persona consistency cross table")
    add_config_args(sft)
    sft.add_argument("--out", required=True, help="output folder (generative.json, generative.md, sft/<set>/)")
    sft.add_argument("--preset", choices=sorted(SFT_PRESETS), default="full",
                     help="small: a few conversations and steps, ≤ 10 min on 2 CPU cores; full: the [eval_sft] "
                          "defaults (a GPU)")
    add_data_args(sft)
    add_card_args(sft, "eval_sft")
    sft.set_defaults(func=run_sft)

    q = esub.add_parser("quality", help="faithfulness, coverage, diversity, toxicity, leftovers, AI detection")
    add_config_args(q)
    q.add_argument("--out", required=True, help="output folder (quality.json, quality.md)")
    q.add_argument("--dataset", action="append", default=[], metavar="NAME=SOURCE",
                   help="a dataset to measure: SPC .csv/dir, ParlAI .txt, run folder or hub:ID (repeatable)")
    q.add_argument("--split", default="test", help="split to read from a folder or Hub source (default test)")
    q.add_argument("--real", help="dataset NAME holding human conversations for the AI-detection test")
    q.add_argument("--synthetic", help="dataset NAME holding synthetic conversations for the AI-detection test")
    q.set_defaults(func=run_quality)

    rep = esub.add_parser("report", help="render report.md/report.json/plots from nup.json and quality.json")
    rep.add_argument("out", help="the folder `eval nup` / `eval quality` wrote to")
    rep.set_defaults(func=run_report)
    ev.set_defaults(func=lambda _a: ev.print_help() or 2)


def add_data_args(p: argparse.ArgumentParser) -> None:
    """The cross tables' datasets (`eval nup` and `eval sft` read the same ones, through `nup_sources`)."""
    p.add_argument("--spc", help="SPC release data/ folder (train and test split files) or hub:ID")
    p.add_argument("--spc-train", help="SPC training source (default: the train split of --spc)")
    p.add_argument("--spc-test", help="SPC test source (default: the test split of --spc)")
    p.add_argument("--persona-chat-train", help="Persona-Chat training data: ParlAI .txt or hub:ID[@split]")
    p.add_argument("--persona-chat-test", help="Persona-Chat test data: ParlAI .txt or hub:ID[@split]")
    p.add_argument("--run", help="generated run folder (RUN/conversations/conversations.parquet) to train on")


def add_card_args(p: argparse.ArgumentParser, section: str) -> None:
    """The model cards' license and the datasets' Hub ids (model-index links)."""
    p.add_argument("--license", help=f"the model cards' license, a Hub license id (default: {section}.license, "
                                     "apache-2.0 as the base model)")
    p.add_argument("--dataset-repo", action="append", default=[], metavar="[NAME=]ID",
                   help="Hub dataset id of a cross-table dataset, so the cards link its results (model-index "
                        "dataset.type): ID alone = the generated run's dataset (`spc push --repo`), or e.g. "
                        "Persona-Chat=bavard/personachat_truecased; hub:ID sources and the SPC release files "
                        "are linked without it (repeatable)")


def nup_sources(args: argparse.Namespace
                ) -> tuple[dict[str, Dataset | Unavailable], dict[str, Dataset | Unavailable]]:
    """The cross table's datasets from the command line; a missing one becomes "not run: <why>"."""
    from . import data as D

    spc_train = args.spc_train or args.spc
    spc_test = args.spc_test or args.spc
    pc_train, pc_test = args.persona_chat_train, args.persona_chat_test

    def load(src: Any, split: str, name: str, flag: str) -> Any:
        if not src:
            return D.Unavailable(name, f"no data given ({flag})")
        return D.load_dataset(src, split, name)

    spc_tr = load(spc_train, "train", "SPC", "--spc or --spc-train")
    pc_tr = load(pc_train, "train", "Persona-Chat", "--persona-chat-train")
    if isinstance(spc_tr, D.Dataset) and isinstance(pc_tr, D.Dataset):
        both: Any = D.combine("SPC+Persona-Chat", spc_tr, pc_tr)
    else:
        missing = [d.reason for d in (spc_tr, pc_tr) if isinstance(d, D.Unavailable)]
        both = D.Unavailable("SPC+Persona-Chat", "; ".join(missing))
    run = D.load_dataset(args.run, "train", "generated") if args.run else D.Unavailable(
        "generated", "no generated run given (--run)")
    train = {"SPC": spc_tr, "Persona-Chat": pc_tr, "SPC+Persona-Chat": both, "generated": run}
    test = {"SPC test": load(spc_test, "test", "SPC test", "--spc or --spc-test"),
            "Persona-Chat test": load(pc_test, "test", "Persona-Chat test", "--persona-chat-test")}
    return train, test


def table_config(args: argparse.Namespace, section: str, presets: dict[str, dict[str, Any]], cls: type
                 ) -> tuple[Any, Any]:
    """(config, the section's dataclass) of a cross-table command: preset under the user's config, the run seed
    unless the section sets its own, the cards' license checked before any training, `--dataset-repo` ids."""
    from synthetic_persona_chat.config import load_config

    from .card import check_license, parse_dataset_repos

    config = load_config(args.config, args.overrides, base={section: dict(presets[args.preset])})
    cfg = config.section(section, cls)
    if "seed" not in (config.sections.get(section) or {}):
        cfg.seed = config.seed
    cfg.license = check_license(args.license or cfg.license)
    cfg.dataset_repos = {**cfg.dataset_repos, **parse_dataset_repos(args.dataset_repo)}
    return config, cfg


def run_nup(args: argparse.Namespace) -> int:
    from synthetic_persona_chat.paths import user_cache_dir

    from .card import model_name_for, push_model, write_cards
    from .crosstable import PRESETS, NUPRunConfig, cross_table
    from .nup_tables import markdown_table, persona_table, table_notes
    from synthetic_persona_chat.json_output import write_json

    _, nup_cfg = table_config(args, "eval_nup", PRESETS, NUPRunConfig)
    out = Path(args.out)
    train, test = nup_sources(args)
    result = cross_table(train, test, nup_cfg, out, cache_path=user_cache_dir() / "embeddings.sqlite")
    result.preset = args.preset
    if args.preset == "paper":  # the published figures travel with the results (report.json, plots)
        from .paper_nup import as_json as paper_reference

        result.paper_reference = paper_reference()
    repos = {t: f"{args.push}/{model_name_for(t)}" for t in result.models} if args.push else {}
    cards = write_cards(result.to_json(), repo_ids=repos)
    result.cards = {k: str(v) for k, v in cards.items()}
    if args.push:
        result.pushed = {train_name: push_model(model.path, repos[train_name], private=not args.public)
                         for train_name, model in result.models.items()}
    write_json(out / "nup.json", result.to_json())
    table = markdown_table(result) + "\n" + table_notes(result) + persona_table(result)
    (out / "nup.md").write_text(table, encoding="utf-8")
    print(table)
    require_nup_measured(result)
    return 0


def run_sft(args: argparse.Namespace) -> int:
    """`spc eval sft`: base + fine-tuned rows on every test set; the contradiction checker is the run's ctx.nli."""
    from synthetic_persona_chat.context import RunContext
    from synthetic_persona_chat.json_output import write_json
    from synthetic_persona_chat.rundir import RunDir

    from .generative_table import GENERATIVE_JSON, GENERATIVE_MD, generative_table, section
    from .sft import PRESETS, SFTRunConfig

    config, cfg = table_config(args, "eval_sft", PRESETS, SFTRunConfig)
    out = Path(args.out)
    train, test = nup_sources(args)
    ctx = RunContext(config, RunDir(out).init(config, allow_config_change=True))
    try:
        checker = _quality_models(ctx, ("checker",))["checker"]
        result = generative_table(train, test, cfg, out, checker)
    finally:
        ctx.close()
    result.preset = args.preset
    write_json(out / GENERATIVE_JSON, result.to_json())
    md = section(result)
    (out / GENERATIVE_MD).write_text(md, encoding="utf-8")
    print(md)
    return 0 if any(c.metrics is not None for c in result.cells) else 1


def run_quality(args: argparse.Namespace) -> int:
    from synthetic_persona_chat.config import load_config
    from synthetic_persona_chat.context import RunContext
    from synthetic_persona_chat.rundir import RunDir

    from . import data as D
    from .detection import detection_test
    from .quality import QualityConfig, dataset_quality
    from .quality_result import DatasetQuality, QualityResult
    from synthetic_persona_chat.json_output import write_json

    from .report import quality_markdown

    if not args.dataset:
        raise ValueError("give at least one --dataset NAME=SOURCE")
    config = load_config(args.config, args.overrides)
    qcfg = config.section("eval_quality", QualityConfig)
    out = Path(args.out)
    ctx = RunContext(config, RunDir(out).init(config, allow_config_change=True))
    try:
        datasets = {}
        for item in args.dataset:
            name, sep, source = item.partition("=")
            if not sep or not name.strip() or not source.strip():
                raise ValueError(f"--dataset {item!r} must look like NAME=SOURCE")
            datasets[name.strip()] = D.load_dataset(source.strip(), args.split, name.strip(), min_conversations=1)
        result = QualityResult(config=qcfg.to_dict())
        models = _quality_models(ctx)
        for name, ds in datasets.items():
            if isinstance(ds, D.Unavailable):
                result.datasets[name] = DatasetQuality(not_run=ds.reason)
                continue
            q = DatasetQuality.from_json(dataset_quality(ds.conversations, config=qcfg, **models))
            q.source, q.skipped_records = ds.source, len(ds.skips)
            q.skip_reasons = [s.to_dict() for s in ds.skips[:20]]  # e.g. an overlong utterance truncated
            result.datasets[name] = q
        result.size_matched_diversity, result.size_matched_by_iteration = _size_matched(
            datasets, models.get("embedder"), qcfg)
        if args.real or args.synthetic:
            result.detection = _detection(datasets, args, qcfg, ctx, detection_test)
        result.models = ctx.run.read_json("models.json", default={})
        write_json(out / "quality.json", result.to_json())
        md = quality_markdown(result)
        (out / "quality.md").write_text(md, encoding="utf-8")
        print(md)
    finally:
        ctx.close()
    require_quality_measured(result)
    return 0


def _size_matched(datasets: dict[str, Dataset | Unavailable], embedder: Any, qcfg: Any
                  ) -> tuple[SizeMatched, dict[str, SizeMatched] | None]:
    """Diversity on equal-size samples across datasets, and across the iterations of each generated one (None
    where no dataset has more than one)."""
    from . import data as D
    from .diversity import DiversityConfig, size_matched
    from .diversity_result import SizeMatched
    from .quality import by_iteration

    dcfg = DiversityConfig(seed=qcfg.seed, draws=qcfg.diversity_draws, max_tokens=qcfg.diversity_max_tokens,
                           fraction=qcfg.diversity_fraction, max_conversations=qcfg.diversity_conversations)
    convs = {n: ds.conversations for n, ds in datasets.items() if isinstance(ds, D.Dataset)}
    across = size_matched(convs, embedder, dcfg) if convs else SizeMatched(not_run="no dataset loaded")
    per_iter = {}
    for name, cs in convs.items():
        iters = {k: v for k, v in by_iteration(cs).items() if k != "none"}
        if len(iters) > 1:
            per_iter[name] = size_matched(iters, None, dcfg)
    return across, per_iter or None


MODEL_ATTRS = {"checker": "nli", "embedder": "embedder", "toxicity_scorer": "toxicity"}


class QualityModels(TypedDict, total=False):
    """The models `quality.dataset_quality` takes (its keyword arguments), None where one failed to load."""

    checker: Any  # ctx.nli: a contradiction checker of any backend
    embedder: Any  # ctx.embedder
    toxicity_scorer: Any  # ctx.toxicity


def _quality_models(ctx: Any, keys: tuple[str, ...] = tuple(MODEL_ATTRS)) -> QualityModels:
    """Each model loaded on its own: one that fails leaves its metric 'not run', the rest still run."""
    models = QualityModels()
    for key, attr in ((k, MODEL_ATTRS[k]) for k in keys):
        try:
            models[key] = getattr(ctx, attr)
        except Exception as exc:
            log.warning("%s unavailable: %s", attr, exc)
            models[key] = None
    return models


def _detection(datasets: dict[str, Dataset | Unavailable], args: argparse.Namespace, qcfg: Any, ctx: Any, detection_test: Any
               ) -> DetectionJson:
    from . import data as D
    from .detection import LLMJudge
    from .quality_result import DetectionJson

    real, syn = datasets.get(args.real), datasets.get(args.synthetic)
    for flag, name, ds in (("--real", args.real, real), ("--synthetic", args.synthetic, syn)):
        if not name:
            return DetectionJson(not_run=f"{flag} not given")
        if ds is None:
            return DetectionJson(not_run=f"{flag} {name!r} is not one of the --dataset names")
        if isinstance(ds, D.Unavailable):
            return DetectionJson(not_run=f"{name}: {ds.reason}")
    judge = LLMJudge(ctx.llm, qcfg.seed) if qcfg.detection_judge == "llm" else "classifier"
    limit = qcfg.detection_pairs if qcfg.detection_judge == "llm" else None
    try:
        det = detection_test(real.conversations, syn.conversations, judge, qcfg.seed, limit)
    except ValueError as exc:  # too little data for the judge: a reason in the report, the metrics still stand
        return DetectionJson(not_run=str(exc))
    det.update(real=args.real, synthetic=args.synthetic, real_source=real.source)
    return det


def run_report(args: argparse.Namespace) -> int:
    from .report import render_report

    written = render_report(args.out)
    for key, path in written.items():
        print(f"{key}: {path}")
    return 0
