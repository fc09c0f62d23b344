"""The generative cross table: a causal LM fine-tuned on each training set, tested on each test set.

    trained on {none (the base model), SPC, Persona-Chat, SPC+Persona-Chat, generated run}
    x tested on {SPC test, Persona-Chat test}

Each cell holds ConvAI2's generative metrics (`generative_metrics`) with 95% intervals over conversations;
each fine-tuned row is compared *paired* with the base model on the same examples (sign-flip permutation
test + paired bootstrap over conversations, `stats.paired_test`) on hits@1, F1, the gold reply's NLL per
token (log-perplexity) and the contradiction flag. A cell whose data is missing or whose run failed stays
in the table as "not run: <why>"; no number is ever filled in for it.

Test examples are the ranker track's (`crosstable._examples`, same seed: the same 20 candidates), so a
dataset's ranker and generator rows read side by side. Everything lands in OUT/generative.json (the report
reads it) and OUT/generative.md; models in OUT/sft/<train set>/ with their model cards.
"""

from __future__ import annotations

import logging
import random
import time
from pathlib import Path
from typing import Any

from . import data as D
from . import stats as S
from .checker_calibration import calibration_text
from .crosstable import _examples, slug
from .generative_metrics import generative_metrics, hits_key, to_generative
from .lm_scoring import LMScorer
from .sft import SFTRunConfig, load_model, train_sft
from .sft_card import write_card

log = logging.getLogger(__name__)

GENERATIVE_JSON, GENERATIVE_MD = "generative.json", "generative.md"
BASE = "none"  # the row of the base model, trained on nothing
HITS = "hits@1/"  # + the number of candidates (20)
PAIRED = (("f1", "unigram F1", 1), ("gold_nll", "gold NLL per token", -1),
          ("contradiction", "contradiction rate", -1))  # (per-example key, label, sign of "better")


def evaluation_examples(ds: D.Dataset | D.Unavailable, config: SFTRunConfig) -> tuple[list[Any] | None, dict[str, Any]]:
    """The ranker track's NUP examples of a test set as chat prompts (seeded subsample, then a seeded cap)."""
    if isinstance(ds, D.Unavailable):
        return None, {"not_run": ds.reason}
    sample = D.subsample(ds, config.max_test_conversations, config.seed)
    try:
        rows = _examples(sample, D.NUPConfig(seed=config.seed))
    except ValueError as exc:
        return None, {"source": ds.source, "not_run": f"cannot build NUP examples: {exc}"}
    if config.max_test_examples and len(rows) > config.max_test_examples:
        rows = sorted(random.Random(f"generative:{config.seed}").sample(rows, config.max_test_examples),
                      key=lambda r: r["id"])
    examples, skips = to_generative(rows, sample.conversations, ds.source)
    info = {"source": ds.source, "conversations": len({e.conversation_id for e in examples}), "of": len(ds),
            "examples": len(examples), "skipped_examples": len(skips),
            "skip_reasons": sorted({s.reason for s in skips})}
    if not examples:
        return None, {**info, "not_run": "no example has a prompt of its own"}
    return examples, info


def evaluate_model(model_dir: str, tests: dict[str, list[Any]], config: SFTRunConfig, checker: Any
                   ) -> dict[str, dict[str, Any]]:
    """Every test set's metrics for one model (loaded once)."""
    model, tokenizer = load_model(model_dir)
    scorer = LMScorer(model, tokenizer, config.max_new_tokens, config.generate_batch)
    out = {}
    for name, examples in tests.items():
        start = time.perf_counter()
        metrics = generative_metrics(examples, scorer.score(examples), checker, config.contradiction_threshold,
                                     config.seed)
        metrics["seconds"] = round(time.perf_counter() - start, 2)
        out[name] = metrics
    return out


def _cells(train: str, test_names: list[str], result: dict[str, Any], measured: dict[str, Any] | None,
           why: str | None) -> None:
    for t in test_names:
        cell: dict[str, Any] = {"train": train, "test": t}
        if t not in (measured or {}):
            cell["not_run"] = why or f"test data: {result['test_sets'][t].get('not_run', 'unavailable')}"
        else:
            cell["metrics"] = measured[t]
        result["cells"].append(cell)


def run_generative_table(train: dict[str, D.Dataset | D.Unavailable], test: dict[str, D.Dataset | D.Unavailable],
                         config: SFTRunConfig, out_dir: str | Path, checker: Any = None) -> dict[str, Any]:
    """Base row + one fine-tuned row per training set, each on every test set; the JSON-able result."""
    out_dir = Path(out_dir)
    result: dict[str, Any] = {"config": config.to_dict(), "train_sets": {}, "test_sets": {}, "models": {},
                              "cells": []}
    tests = {}
    for name, ds in test.items():
        examples, result["test_sets"][name] = evaluation_examples(ds, config)
        if examples is not None:
            tests[name] = examples
    result["models"][BASE] = {"path": config.base_model}
    _cells(BASE, list(test), result, _guarded(lambda: evaluate_model(config.base_model, tests, config, checker),
                                              result["models"][BASE]), result["models"][BASE].get("not_run"))
    for name, ds in train.items():
        if config.train_sets is not None and name not in config.train_sets:
            continue
        info = result["train_sets"][name] = _train_info(ds, config)
        measured = None
        if "not_run" not in info:
            model = result["models"][name] = {}
            measured = _guarded(lambda: _train_and_evaluate(ds, name, out_dir, config, tests, checker, model), info)
            if measured is not None:
                sources = {t: i.get("source", "") for t, i in result["test_sets"].items()}
                model["card"] = str(write_card(name, info, model, measured, config, sources))
        _cells(name, list(test), result, measured, info.get("not_run"))
    result["comparisons"] = compare_with_base(result, config.seed)
    result["checker"] = next((c["metrics"]["persona_consistency"].get("checker") for c in result["cells"]
                              if "metrics" in c and "checker" in c["metrics"]["persona_consistency"]), None)
    return result


def _train_info(ds: D.Dataset | D.Unavailable, config: SFTRunConfig) -> dict[str, Any]:
    if isinstance(ds, D.Unavailable):
        return {"not_run": f"training data: {ds.reason}"}
    sample = D.subsample(ds, config.max_train_conversations, config.seed)
    return {"source": ds.source, "conversations": len(sample), "of": len(ds), "skipped_records": len(ds.skips)}


def _train_and_evaluate(ds: D.Dataset, name: str, out_dir: Path, config: SFTRunConfig, tests: dict[str, Any],
                        checker: Any, model: dict[str, Any]) -> dict[str, Any]:
    sample = D.subsample(ds, config.max_train_conversations, config.seed)
    fit = train_sft(sample.conversations, out_dir / "sft" / slug(name), config)
    model.update(fit.to_dict())
    return evaluate_model(str(fit.output_dir), tests, config, checker)


def _guarded(step: Any, info: dict[str, Any]) -> Any:
    """Run a training/evaluation step; a failure becomes the row's "not run" reason instead of a crash."""
    try:
        return step()
    except Exception as exc:
        log.exception("generative track step failed")
        info["not_run"] = f"failed: {type(exc).__name__}: {exc}"
        return None


def compare_with_base(result: dict[str, Any], seed: int = 0) -> list[dict[str, Any]]:
    """Paired differences fine-tuned − base on each test set, per metric, over the same examples."""
    base = {c["test"]: c["metrics"]["per_example"] for c in result["cells"] if c["train"] == BASE and "metrics" in c}
    out = []
    for c in result["cells"]:
        if c["train"] == BASE or "metrics" not in c or c["test"] not in base:
            continue
        mine, ref = c["metrics"]["per_example"], base[c["test"]]
        hits = [(k, k, 1) for k in mine if k.startswith(HITS)]
        for key, label, better in hits + list(PAIRED):
            if key in mine and key in ref:
                res = S.paired_test(mine[key], ref[key], mine["groups"], seed=seed)
                out.append({"test": c["test"], "a": f"SFT ({c['train']})", "b": "base", "metric": label,
                            "better": better, **res})
    return out


def _metric(cell: dict[str, Any], key: str) -> str:
    m = cell["metrics"]
    block = m["persona_consistency"].get("estimate") if key == "contradiction" else m.get(key)
    if block is None:
        return "not run: " + m["persona_consistency"].get("not_run", "—") if key == "contradiction" else "—"
    return S.fmt(block, 2 if key == "perplexity" else 3).replace("|", "\\|")


def markdown_table(result: dict[str, Any]) -> str:
    """Rows = (trained on, tested on): perplexity, hits@1/20, F1, contradiction rate, each [95% CI]; or why not."""
    cols = ["perplexity [95% CI]", "hits@1/20 by likelihood [95% CI]", "unigram F1 [95% CI]",
            "persona contradiction rate [95% CI]", "examples (conversations)"]
    lines = ["| trained on | tested on | " + " | ".join(cols) + " |", "|---|---|" + "---|" * len(cols)]
    for c in result["cells"]:
        train = "none (base model)" if c["train"] == BASE else c["train"]
        if "not_run" in c:
            why = str(c["not_run"]).replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {train} | {c['test']} | not run: {why} |" + " |" * (len(cols) - 1))
            continue
        m = c["metrics"]
        vals = [_metric(c, k) for k in ("perplexity", hits_key(m), "f1", "contradiction")]
        lines.append(f"| {train} | {c['test']} | " + " | ".join(vals) + f" | {m['examples']} ({m['conversations']}) |")
    return "\n".join(lines) + "\n"


def table_notes(result: dict[str, Any]) -> str:
    """The checker's calibration beside its rate, the training runs, then the paired comparisons."""
    lines = []
    checker = result.get("checker")
    if checker:
        who = checker.get("kind", "?") + (f" ({checker['model']})" if checker.get("model") else "")
        lines.append(f"- contradiction checker {who}: {calibration_text(checker, int(result['config']['seed']))}; "
                     f"a reply is flagged above {result['config']['contradiction_threshold']}")
    for name, m in result["models"].items():
        if name != BASE and "seconds" in m:
            lines.append(f"- SFT on {name}: {m['rows']} `messages` rows, {m['steps']} steps, {m['train_tokens']:,} "
                         f"tokens in {m['seconds']:.0f} s ({m['tokens_per_second']:.0f} tokens/s), "
                         f"train loss {m['train_loss']:.3f}")
    for c in result.get("comparisons", []):
        flags = f" ⚠ {'; '.join(c['flags'])}" if c.get("flags") else ""
        lines.append(f"- {c['test']}: {c['a']} − {c['b']} {c['metric']} = {S.fmt(c, with_flags=False)}, "
                     f"p = {c['p_value']:.4f} ({c['n']} examples, {c['clusters']} conversations; paired permutation "
                     f"test over conversations){flags}")
    return "\n".join(lines) + "\n"


def section(result: dict[str, Any]) -> str:
    """The report's section: the table, what its figures are, and the notes."""
    return ("\n## Generative track (ConvAI2 metrics)\n\nA causal LM fine-tuned with TRL on each training set's "
            "`messages` rows (loss on assistant turns only), tested on the ranker track's examples: perplexity of "
            "the gold reply, hits@1/20 ranking the same 20 candidates by likelihood, unigram F1 of the greedy reply "
            "(ParlAI normalisation), and the share of greedy replies the contradiction checker flags against the "
            "speaker's own persona. Intervals: 95%, bootstrap over conversations.\n\n"
            + markdown_table(result) + "\nNotes (paired differences against the base model on the same examples):\n\n"
            + table_notes(result))
