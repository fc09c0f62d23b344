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

from synthetic_persona_chat.jsontypes import JsonObject

from . import data as D
from . import stats as S
from .checker_calibration import calibration_text
from .crosstable import _examples, slug
from .figures import Comparison, DataSetInfo
from .generative_metrics import generative_metrics, to_generative
from .generative_result import BASE, GenerativeCell, GenerativeResult, SFTModel
from .lm_scoring import LMScorer
from .sft import SFTRunConfig, load_model, train_sft
from .sft_card import write_card

log = logging.getLogger(__name__)

GENERATIVE_JSON, GENERATIVE_MD = "generative.json", "generative.md"
HITS = "hits@1/"  # + the number of candidates (20)
PAIRED = (("f1", "unigram F1", 1), ("gold_nll", "gold NLL per token", -1),
          ("contradiction", "contradiction rate", -1))  # (per-example key, label, sign of "better")


def evaluation_examples(ds: D.Dataset | D.Unavailable, config: SFTRunConfig) -> tuple[list[Any] | None, DataSetInfo]:
    """The ranker track's NUP examples of a test set as chat prompts (seeded subsample, then a seeded cap)."""
    if isinstance(ds, D.Unavailable):
        return None, DataSetInfo(not_run=ds.reason)
    sample = D.subsample(ds, config.max_test_conversations, config.seed)
    try:
        rows = _examples(sample, D.NUPConfig(seed=config.seed))
    except ValueError as exc:
        return None, DataSetInfo(source=ds.source, not_run=f"cannot build NUP examples: {exc}")
    if config.max_test_examples and len(rows) > config.max_test_examples:
        rows = sorted(random.Random(f"generative:{config.seed}").sample(rows, config.max_test_examples),
                      key=lambda r: r["id"])
    examples, skips = to_generative(rows, sample.conversations, ds.source)
    info = DataSetInfo(source=ds.source, conversations=len({e.conversation_id for e in examples}), of=len(ds),
                       examples=len(examples), skipped_examples=len(skips),
                       skip_reasons=sorted({s.reason for s in skips}))
    if not examples:
        info.not_run = "no example has a prompt of its own"
        return None, info
    return examples, info


def evaluate_model(model_dir: str, tests: dict[str, list[Any]], config: SFTRunConfig, checker: Any
                   ) -> dict[str, JsonObject]:
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


def _cells(train: str, test_names: list[str], result: GenerativeResult, measured: dict[str, JsonObject] | None,
           why: str | None) -> None:
    for t in test_names:
        if t not in (measured or {}):
            why_t = why or f"test data: {result.test_sets[t].not_run or 'unavailable'}"
            result.cells.append(GenerativeCell(train=train, test=t, not_run=why_t))
        else:
            result.cells.append(GenerativeCell(train=train, test=t, metrics=measured[t]))


def generative_table(train: dict[str, D.Dataset | D.Unavailable], test: dict[str, D.Dataset | D.Unavailable],
                     config: SFTRunConfig, out_dir: str | Path, checker: Any = None) -> GenerativeResult:
    """Base row + one fine-tuned row per training set, each on every test set."""
    out_dir = Path(out_dir)
    result = GenerativeResult(config=config.to_dict())
    tests = {}
    for name, ds in test.items():
        examples, result.test_sets[name] = evaluation_examples(ds, config)
        if examples is not None:
            tests[name] = examples
    base = result.models[BASE] = SFTModel(path=config.base_model)
    _cells(BASE, list(test), result, _guarded(lambda: evaluate_model(config.base_model, tests, config, checker),
                                              base), base.not_run)
    for name, ds in train.items():
        if config.train_sets is not None and name not in config.train_sets:
            continue
        info = result.train_sets[name] = _train_info(ds, config)
        measured = None
        if info.not_run is None:
            model = result.models[name] = SFTModel()
            measured = _guarded(lambda: _train_and_evaluate(ds, name, out_dir, config, tests, checker, model), info)
            if measured is not None:
                sources = {t: i.source or "" for t, i in result.test_sets.items()}
                model.card = str(write_card(name, info, model, measured, config, sources))
        _cells(name, list(test), result, measured, info.not_run)
    result.comparisons = compare_with_base(result, config.seed)
    result.checker = next((c.metrics["persona_consistency"].get("checker") for c in result.cells
                           if c.metrics is not None and "checker" in c.metrics["persona_consistency"]), None)
    return result


def _train_info(ds: D.Dataset | D.Unavailable, config: SFTRunConfig) -> DataSetInfo:
    if isinstance(ds, D.Unavailable):
        return DataSetInfo(not_run=f"training data: {ds.reason}")
    sample = D.subsample(ds, config.max_train_conversations, config.seed)
    return DataSetInfo(source=ds.source, conversations=len(sample), of=len(ds), skipped_records=len(ds.skips))


def _train_and_evaluate(ds: D.Dataset, name: str, out_dir: Path, config: SFTRunConfig, tests: dict[str, list[Any]],
                        checker: Any, model: SFTModel) -> dict[str, JsonObject]:
    sample = D.subsample(ds, config.max_train_conversations, config.seed)
    fit = train_sft(sample.conversations, out_dir / "sft" / slug(name), config)
    for key, value in fit.to_dict().items():
        setattr(model, key, value)
    return evaluate_model(str(fit.output_dir), tests, config, checker)


def _guarded(step: Any, info: DataSetInfo | SFTModel) -> Any:
    """Run a training/evaluation step; a failure becomes the row's "not run" reason instead of a crash."""
    try:
        return step()
    except Exception as exc:
        log.exception("generative track step failed")
        info.not_run = f"failed: {type(exc).__name__}: {exc}"
        return None


def compare_with_base(result: GenerativeResult | dict, seed: int = 0) -> list[Comparison]:
    """Paired differences fine-tuned − base on each test set, per metric, over the same examples."""
    result = GenerativeResult.from_json(result)
    base = {c.test: c.metrics["per_example"] for c in result.cells if c.train == BASE and c.metrics is not None}
    out = []
    for c in result.cells:
        if c.train == BASE or c.metrics is None or c.test not in base:
            continue
        mine, ref = c.metrics["per_example"], base[c.test]
        hits = [(k, k, 1) for k in mine if k.startswith(HITS)]
        for key, label, better in hits + list(PAIRED):
            if key in mine and key in ref:
                res = S.paired_test(mine[key], ref[key], mine["groups"], seed=seed)
                out.append(Comparison.from_json({"test": c.test, "a": f"SFT ({c.train})", "b": "base",
                                                 "metric": label, "better": better, **res}))
    return out


def _metric(cell: GenerativeCell, key: str) -> str:
    est = cell.estimate(key)
    if est is None:
        why = (cell.metrics["persona_consistency"].get("not_run", "—") if key == "contradiction" else None)
        return "not run: " + why if why is not None else "—"
    return est.text(2 if key == "perplexity" else 3).replace("|", "\\|")


def markdown_table(result: GenerativeResult | dict) -> str:
    """Rows = (trained on, tested on): perplexity, hits@1/20, F1, contradiction rate, each [95% CI]; or why not.
    `result` may be the `generative.json` object."""
    result = GenerativeResult.from_json(result)
    cols = ["perplexity [95% CI]", "hits@1/20 by likelihood [95% CI]", "unigram F1 [95% CI]",
            "persona contradiction rate [95% CI]", "examples (conversations)"]
    lines = ["| trained on | tested on | " + " | ".join(cols) + " |", "|---|---|" + "---|" * len(cols)]
    for c in result.cells:
        train = "none (base model)" if c.train == BASE else c.train
        if c.not_run is not None:
            why = str(c.not_run).replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {train} | {c.test} | not run: {why} |" + " |" * (len(cols) - 1))
            continue
        m = c.metrics
        vals = [_metric(c, k) for k in ("perplexity", "hits@1", "f1", "contradiction")]
        lines.append(f"| {train} | {c.test} | " + " | ".join(vals) + f" | {m['examples']} ({m['conversations']}) |")
    return "\n".join(lines) + "\n"


def table_notes(result: GenerativeResult | dict) -> str:
    """The checker's calibration beside its rate, the training runs, then the paired comparisons."""
    result = GenerativeResult.from_json(result)
    lines = []
    checker = result.checker
    if checker:
        who = checker.get("kind", "?") + (f" ({checker['model']})" if checker.get("model") else "")
        lines.append(f"- contradiction checker {who}: {calibration_text(checker, int(result.config['seed']))}; "
                     f"a reply is flagged above {result.config['contradiction_threshold']}")
    for name, m in result.models.items():
        if name != BASE and m.seconds is not None:
            lines.append(f"- SFT on {name}: {m.rows} `messages` rows, {m.steps} steps, {m.train_tokens:,} "
                         f"tokens in {m.seconds:.0f} s ({m.tokens_per_second:.0f} tokens/s), "
                         f"train loss {m.train_loss:.3f}")
    lines += [c.note() for c in result.comparisons]
    return "\n".join(lines) + "\n"


def section(result: GenerativeResult | dict) -> str:
    """The report's section: the table, what its figures are, and the notes."""
    result = GenerativeResult.from_json(result)
    return ("\n## Generative track (ConvAI2 metrics)\n\nA causal LM fine-tuned with TRL on each training set's "
            "`messages` rows (loss on assistant turns only), tested on the ranker track's examples: perplexity of "
            "the gold reply, hits@1/20 ranking the same 20 candidates by likelihood, unigram F1 of the greedy reply "
            "(ParlAI normalisation), and the share of greedy replies the contradiction checker flags against the "
            "speaker's own persona. Intervals: 95%, bootstrap over conversations.\n\n"
            + markdown_table(result) + "\nNotes (paired differences against the base model on the same examples):\n\n"
            + table_notes(result))
