"""The NUP cross table: fine-tune on each training set, test on each test set, plus baselines.

    train {SPC, Persona-Chat, SPC+Persona-Chat, generated run} x test {SPC test, Persona-Chat test}

Every cell is seeded (subsampling, distractors, training) and so reproducible. A cell whose
training or test data is missing, or whose run failed, is kept with `not_run: <why>`;
no number is ever filled in for it. Baselines (zero-shot bi-encoder, TF-IDF, random) need
no training data and get one row per test set.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from . import data as D
from .finetune import FineTuneConfig, finetune, load_finetuned
from .metrics import ranking_metrics
from .rankers import BiEncoderRanker, RandomRanker, Ranker, TfidfRanker

log = logging.getLogger(__name__)

TRAIN_SETS = ("SPC", "Persona-Chat", "SPC+Persona-Chat", "generated")
TEST_SETS = ("SPC test", "Persona-Chat test")


@dataclass
class NUPRunConfig:
    """`[eval_nup]` config section. Defaults = the full settings (meant for a GPU).

    seed: drives subsampling, distractors and training of every cell.
    max_train_conversations / max_test_conversations: seeded subsample per dataset (None = all).
    max_history: previous turns in the context text (see `data.context_text`).
    baselines: rankers with no training: "zero-shot", "tf-idf", "random".
    base_model ... scale: fine-tuning hyper-parameters (`finetune.FineTuneConfig`).
    """

    seed: int = 0
    max_train_conversations: int | None = None
    max_test_conversations: int | None = None
    max_history: int = 3
    baselines: tuple[str, ...] = ("zero-shot", "tf-idf", "random")
    base_model: str = "minilm"
    epochs: float = 3.0
    batch_size: int = 128
    learning_rate: float = 5e-5
    warmup_ratio: float = 0.1
    max_seq_length: int = 256
    scale: float = 20.0

    def finetune_config(self) -> FineTuneConfig:
        names = {f.name for f in fields(FineTuneConfig)}
        return FineTuneConfig(**{k: v for k, v in asdict(self).items() if k in names})

    def nup_config(self) -> D.NUPConfig:
        return D.NUPConfig(seed=self.seed, max_history=self.max_history)


# `--preset small`: 2 CPU cores, minutes. The full defaults above are for a GPU.
PRESETS: dict[str, dict[str, Any]] = {
    "small": {"max_train_conversations": 30, "max_test_conversations": 20, "epochs": 1.0, "batch_size": 32,
              "max_seq_length": 128},
    "full": {},
}


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _examples(ds: D.Dataset, cfg: D.NUPConfig) -> list[dict[str, Any]]:
    """NUP rows; Persona-Chat read from ParlAI keeps its own candidates, answered by "user 2" only."""
    own = all(c.meta.get("candidates") for c in ds.conversations)
    if own:
        cfg = D.NUPConfig(**{**asdict(cfg), "speakers": ("user 2",)})
    return D.examples(ds, cfg)


def evaluate(ranker: Ranker, rows: list[dict[str, Any]], max_history: int) -> dict[str, float]:
    contexts = [D.context_text(r, max_history) for r in rows]
    scores = ranker.scores(contexts, [r["candidates"] for r in rows])
    return ranking_metrics(scores, [r["label"] for r in rows])


def run_cross_table(train: dict[str, D.Dataset | D.Unavailable], test: dict[str, D.Dataset | D.Unavailable],
                    config: NUPRunConfig, out_dir: str | Path, cache_path: str | Path | None = None
                    ) -> dict[str, Any]:
    """Train/evaluate every cell; returns the JSON-able result (also what `report` and cards read)."""
    out_dir = Path(out_dir)
    nup_cfg = config.nup_config()
    result: dict[str, Any] = {"config": asdict(config), "train_sets": {}, "test_sets": {}, "cells": [],
                              "baselines": [], "models": {}}
    tests: dict[str, list[dict[str, Any]]] = {}
    for name, ds in test.items():
        rows, info = _prepare(ds, config.max_test_conversations, config.seed, nup_cfg)
        result["test_sets"][name] = info
        if rows is not None:
            tests[name] = rows
    for ranker_name in config.baselines:
        ranker = _baseline(ranker_name, config, cache_path)
        for name in test:
            result["baselines"].append(_cell(ranker, ranker_name, None, name, tests, result, config))
    for train_name, ds in train.items():
        rows, info = _prepare(ds, config.max_train_conversations, config.seed, nup_cfg)
        result["train_sets"][train_name] = info
        ranker = None
        if rows is not None:
            try:
                model_dir = out_dir / "models" / slug(train_name)
                fit = finetune([D.context_text(r, config.max_history) for r in rows],
                               [r["candidates"][r["label"]] for r in rows], model_dir, config.finetune_config())
                result["models"][train_name] = {"path": str(model_dir), "train_examples": fit.examples,
                                                "seconds": round(fit.seconds, 2), "train_loss": fit.train_loss,
                                                "examples_per_second": round(fit.examples_per_second, 2)}
                ranker = load_finetuned(model_dir, name=f"fine-tuned on {train_name}",
                                        max_seq_length=config.max_seq_length)
            except Exception as exc:  # keep the cell, say why
                log.exception("fine-tuning on %s failed", train_name)
                info["not_run"] = f"fine-tuning failed: {type(exc).__name__}: {exc}"
        for test_name in test:
            if ranker is None:
                why = info.get("not_run") or "no model"
                result["cells"].append({"ranker": "fine-tuned", "train": train_name, "test": test_name,
                                        "not_run": f"training data: {why}"})
            else:
                result["cells"].append(_cell(ranker, "fine-tuned", train_name, test_name, tests, result, config))
    return result


def _prepare(ds: D.Dataset | D.Unavailable, limit: int | None, seed: int, cfg: D.NUPConfig
             ) -> tuple[list[dict[str, Any]] | None, dict[str, Any]]:
    if isinstance(ds, D.Unavailable):
        return None, {"not_run": ds.reason}
    sample = D.subsample(ds, limit, seed)
    try:
        rows = _examples(sample, cfg)
    except ValueError as exc:
        return None, {"source": ds.source, "not_run": f"cannot build NUP examples: {exc}"}
    return rows, {"source": ds.source, "conversations": len(sample), "of": len(ds), "examples": len(rows),
                  "skipped_records": len(ds.skips)}


def _baseline(name: str, config: NUPRunConfig, cache_path: str | Path | None) -> Ranker:
    if name == "zero-shot":
        return BiEncoderRanker.from_model(config.base_model, name="zero-shot", cache_path=cache_path,
                                          max_seq_length=config.max_seq_length)
    if name == "tf-idf":
        return TfidfRanker()
    if name == "random":
        return RandomRanker(config.seed)
    raise ValueError(f"unknown baseline {name!r}; choose from zero-shot, tf-idf, random")


def _cell(ranker: Ranker, kind: str, train: str | None, test_name: str, tests: dict[str, list[dict[str, Any]]],
          result: dict[str, Any], config: NUPRunConfig) -> dict[str, Any]:
    cell: dict[str, Any] = {"ranker": kind, "train": train, "test": test_name}
    if test_name not in tests:
        cell["not_run"] = f"test data: {result['test_sets'][test_name].get('not_run', 'unavailable')}"
        return cell
    try:
        cell["metrics"] = evaluate(ranker, tests[test_name], config.max_history)
    except Exception as exc:
        log.exception("evaluating %s on %s failed", kind, test_name)
        cell["not_run"] = f"evaluation failed: {type(exc).__name__}: {exc}"
    return cell


def markdown_table(result: dict[str, Any], metric: str = "hits@1/20") -> str:
    """Rows = ranker (and training set), columns = test sets; "not run: <why>" where there is no number."""
    test_names = list(result["test_sets"])
    lines = ["| ranker | trained on | " + " | ".join(f"{t} {metric}" for t in test_names) + " |",
             "|---|---|" + "---|" * len(test_names)]
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for cell in result["baselines"] + result["cells"]:
        key = (cell["ranker"], cell["train"] or "—")
        rows.setdefault(key, {})[cell["test"]] = _fmt(cell, metric)
    for (ranker, train), vals in rows.items():
        lines.append(f"| {ranker} | {train} | " + " | ".join(vals.get(t, "") for t in test_names) + " |")
    return "\n".join(lines) + "\n"


def _fmt(cell: dict[str, Any], metric: str) -> str:
    if "not_run" in cell:
        return "not run: " + str(cell["not_run"]).replace("|", "\\|").replace("\n", " ")
    value = cell["metrics"].get(metric)
    return "—" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.3f}"
