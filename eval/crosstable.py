"""The NUP cross table: fine-tune on each training set, test on each test set, plus baselines.

    train {SPC, Persona-Chat, SPC+Persona-Chat, generated run} x test {SPC test, Persona-Chat test}

Every cell is seeded (subsampling, distractors, training) and so reproducible. A cell whose
training or test data is missing, or whose run failed, is kept with `not_run: <why>`;
no number is ever filled in for it. Baselines (zero-shot bi-encoder, TF-IDF, random) need
no training data and get one row per test set.

Every figure carries a 95% interval from a bootstrap over test *conversations* (`stats.estimate`),
with flags when it rests on few examples/conversations. Rankers scored on the same test set are
compared paired (sign-flip permutation test + paired bootstrap over conversations on hits@1):
`result["comparisons"]`, printed as the table's notes.

`--preset paper` follows the paper's NUP protocol as far as it states it (§4.2 Table 2 of arXiv:2312.10007v1):
a ranker given the persona and the conversation's context, trained on Persona-Chat and on SPC, tested on both test
sets, all conversations. What it does not state keeps our choices: hits@1 over 20 candidates (1 gold + 19), the
responding speaker's persona, the whole history, our bi-encoder and its hyper-parameters. Its published
Transformer (Ranker) figures appear as a reference column labelled "paper (published, other models)"
(`paper_nup.PAPER_NUP_REFERENCE`; what differs is listed in `paper_nup` and under the table).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from synthetic_persona_chat.builder.nup import NUPExample
from synthetic_persona_chat.presets import section_presets

from . import data as D
from .card import training_card_data
from .figures import Comparison, DataSetInfo, Estimate
from .finetune import FineTuneConfig, finetune, load_finetuned
from . import stats as S
from .metrics import gold_ranks, ranking_metrics
from .nup_persona import persona_effect, without_persona
from .nup_result import FineTunedModel, NoPersonaCondition, NUPCell, NUPResult
from .nup_tables import slug
from .rankers import BiEncoderRanker, RandomRanker, Ranker, TfidfRanker

log = logging.getLogger(__name__)

TRAIN_SETS = ("SPC", "Persona-Chat", "SPC+Persona-Chat", "generated")


@dataclass
class NUPRunConfig:
    """`[eval_nup]` config section. Defaults = the full settings (meant for a GPU).

    seed: drives subsampling, distractors and training of every cell.
    max_train_conversations / max_test_conversations: seeded subsample per dataset (None = all).
    max_history: previous turns in the context text (see `data.context_text`).
    baselines: rankers with no training: "zero-shot", "tf-idf", "random".
    train_sets: which of TRAIN_SETS get a fine-tuned row (None = all).
    base_model ... scale: fine-tuning hyper-parameters (`finetune.FineTuneConfig`).
    no_persona: also run every row in the paper's "None" condition (the persona removed from training and
        test contexts: one more fine-tune per training set) and report the persona's Δ% (`nup_persona.py`).
    embedder_backend: how the bi-encoders (zero-shot and fine-tuned) embed at evaluation: "torch",
        "onnx", "onnx-int8" (CPU, onnxruntime) or "openvino" (see `models/encoders/` and
        docs/performance.md for speed and hits@1 against torch).
    license, dataset_repos: model cards (`card.py`): the models' license; dataset name -> Hub dataset id.
    """

    seed: int = 0
    max_train_conversations: int | None = None
    max_test_conversations: int | None = None
    max_history: int = 3
    baselines: tuple[str, ...] = ("zero-shot", "tf-idf", "random")
    train_sets: tuple[str, ...] | None = None
    base_model: str = "minilm"
    epochs: float = 3.0
    batch_size: int = 128
    learning_rate: float = 5e-5
    warmup_ratio: float = 0.1
    max_seq_length: int = 256
    scale: float = 20.0
    no_persona: bool = False
    embedder_backend: str = "torch"
    license: str = "apache-2.0"
    dataset_repos: dict[str, str] = field(default_factory=dict)

    def finetune_config(self) -> FineTuneConfig:
        names = {f.name for f in fields(FineTuneConfig)}
        return FineTuneConfig(**{k: v for k, v in asdict(self).items() if k in names})

    def nup_config(self) -> D.NUPConfig:
        return D.NUPConfig(seed=self.seed, max_history=self.max_history)


# `--preset NAME`: eval/presets/nup/NAME.yaml (small: 2 CPU cores, minutes; full: the defaults above, for a
# GPU; paper: the paper's protocol, see the module docstring).
PRESETS = section_presets(Path(__file__).resolve().parent / "presets" / "nup", "eval_nup", NUPRunConfig)


def _examples(ds: D.Dataset, cfg: D.NUPConfig) -> list[NUPExample]:
    """NUP rows; Persona-Chat read from ParlAI keeps its own candidates, answered by "user 2" only."""
    own = all(c.meta.get("candidates") for c in ds.conversations)
    if own:
        cfg = D.NUPConfig(**{**asdict(cfg), "speakers": ("user 2",)})
    return D.examples(ds, cfg)


def evaluate(ranker: Ranker, rows: list[NUPExample], max_history: int) -> dict[str, float]:
    return ranking_metrics(*_scores(ranker, rows, max_history))


def _scores(ranker: Ranker, rows: list[NUPExample], max_history: int) -> tuple[np.ndarray, list[int]]:
    contexts = [D.context_text(r, max_history) for r in rows]
    return np.asarray(ranker.scores(contexts, [r["candidates"] for r in rows])), [r["label"] for r in rows]


def intervals(ranks: np.ndarray, rows: list[NUPExample], seed: int) -> dict[str, Estimate]:
    """95% bootstrap-over-conversations interval and flags for hits@1, hits@5 and MRR of one cell."""
    n = len(rows[0]["candidates"]) if rows else 0
    groups = [r["conversation_id"] for r in rows]
    per_example = {f"hits@1/{n}": ranks <= 1, f"hits@5/{n}": ranks <= 5, "mrr": 1.0 / ranks}
    out = {}
    for key, values in per_example.items():
        est = S.estimate(values.astype(np.float64), groups, "examples", seed=seed)
        est.pop("per_conversation")  # paired tests use the ranks directly; keeps nup.json small
        out[key] = Estimate.from_json(est)
    return out


def cross_table(train: dict[str, D.Dataset | D.Unavailable], test: dict[str, D.Dataset | D.Unavailable],
                config: NUPRunConfig, out_dir: str | Path, cache_path: str | Path | None = None) -> NUPResult:
    """Train/evaluate every cell; the typed result that `nup.json`, the report and the cards are made from."""
    out_dir = Path(out_dir)
    nup_cfg = config.nup_config()
    result = NUPResult(config=asdict(config))
    tests: dict[str, list[NUPExample]] = {}
    ranks: dict[tuple[str, str], np.ndarray] = {}  # (row label, test set) -> gold ranks, for paired tests
    for name, ds in test.items():
        rows, result.test_sets[name] = _prepare(ds, config.max_test_conversations, config.seed, nup_cfg)
        if rows is not None:
            tests[name] = rows
    for ranker_name in config.baselines:
        ranker = _baseline(ranker_name, config, cache_path)
        for name in test:
            result.baselines.append(_cell(ranker, ranker_name, None, name, tests, result, config, ranks))
    for train_name, ds in train.items():
        if config.train_sets is not None and train_name not in config.train_sets:
            continue
        rows, info = _prepare(ds, config.max_train_conversations, config.seed, nup_cfg)
        result.train_sets[train_name] = info
        ranker = _fine_tuned(train_name, rows, info, result.models, config, out_dir) if rows is not None else None
        for test_name in test:
            if ranker is None:
                why = info.not_run or "no model"
                result.cells.append(NUPCell(ranker="fine-tuned", train=train_name, test=test_name,
                                            not_run=f"training data: {why}"))
            else:
                result.cells.append(_cell(ranker, "fine-tuned", train_name, test_name, tests, result, config,
                                          ranks))
    result.comparisons = compare_rankers(ranks, tests, config.seed)
    if config.no_persona:
        result.no_persona = no_persona_condition(train, test, tests, ranks, result, config, out_dir, cache_path)
    return result


def no_persona_condition(train: dict[str, D.Dataset | D.Unavailable], test: dict[str, D.Dataset | D.Unavailable],
                         tests: dict[str, list[NUPExample]], ranks: dict[tuple[str, str], np.ndarray],
                         result: NUPResult, config: NUPRunConfig, out_dir: Path,
                         cache_path: str | Path | None) -> NoPersonaCondition:
    """Every row again without the persona (the paper's "None" column): baselines on persona-less test
    contexts, rankers fine-tuned on persona-less training contexts; then each row's paired persona effect."""
    cond, bare = NoPersonaCondition(), {name: without_persona(rows) for name, rows in tests.items()}
    bare_ranks: dict[tuple[str, str], np.ndarray] = {}
    for ranker_name in config.baselines:
        ranker = _baseline(ranker_name, config, cache_path)
        cond.cells += [_cell(ranker, ranker_name, None, name, bare, result, config, bare_ranks) for name in test]
    for train_name, ds in train.items():
        if config.train_sets is not None and train_name not in config.train_sets:
            continue
        rows, info = _prepare(ds, config.max_train_conversations, config.seed, config.nup_config())
        ranker = None if rows is None else _fine_tuned(train_name, without_persona(rows), info, cond.models, config,
                                                       out_dir, suffix="no-persona")
        for test_name in test:
            if ranker is None:
                cond.cells.append(NUPCell(ranker="fine-tuned", train=train_name, test=test_name,
                                          not_run=f"training data: {info.not_run or 'no model'}"))
            else:
                cond.cells.append(_cell(ranker, "fine-tuned", train_name, test_name, bare, result, config, bare_ranks))
    by_label = {(c.label(), c.test): c for c in result.all_cells()}
    cond.effects = [persona_effect(by_label[key], none, ranks[key], bare_ranks[key], tests[none.test], config.seed)
                    for none in cond.cells for key in [(none.label(), none.test)] if key in ranks and key in bare_ranks]
    return cond


def _fine_tuned(train_name: str, rows: list[NUPExample], info: DataSetInfo, models: dict[str, FineTunedModel],
                config: NUPRunConfig, out_dir: Path, suffix: str = "") -> Ranker | None:
    """Fine-tune on `rows` and load the ranker, recorded in `models` (the persona-less condition's in its own
    folder, `<set>-no-persona`); a failure is kept in `info.not_run` (the cells say why)."""
    try:
        model_dir = out_dir / "models" / slug(" ".join([train_name, suffix]))
        fit = finetune([D.context_text(r, config.max_history) for r in rows],
                       [r["candidates"][r["label"]] for r in rows], model_dir, config.finetune_config(),
                       card=training_card_data(train_name, info.source or "", asdict(config)))
        models[train_name] = FineTunedModel(
            path=str(model_dir), train_examples=fit.examples, seconds=round(fit.seconds, 2),
            train_loss=fit.train_loss, examples_per_second=round(fit.examples_per_second, 2))
        return load_finetuned(model_dir, name=f"fine-tuned on {train_name}",
                              max_seq_length=config.max_seq_length, backend=config.embedder_backend)
    except Exception as exc:  # keep the cell, say why
        log.exception("fine-tuning on %s failed", train_name)
        info.not_run = f"fine-tuning failed: {type(exc).__name__}: {exc}"
        return None


def compare_rankers(ranks: dict[tuple[str, str], np.ndarray], tests: dict[str, list[NUPExample]],
                    seed: int, metric: str = "hits@1") -> list[Comparison]:
    """Paired hits@1 tests on each test set: every fine-tuned row against zero-shot, and fine-tuned rows
    against each other (same examples, so the comparison is paired)."""
    out = []
    for test_name, rows in tests.items():
        labels = [lab for (lab, t) in ranks if t == test_name]
        tuned = [lab for lab in labels if lab.startswith("fine-tuned")]
        pairs = [(a, "zero-shot") for a in tuned if "zero-shot" in labels]
        pairs += [(a, b) for i, a in enumerate(tuned) for b in tuned[i + 1:]]
        groups = [r["conversation_id"] for r in rows]
        for a, b in pairs:
            res = S.paired_test(ranks[(a, test_name)] <= 1, ranks[(b, test_name)] <= 1, groups, seed=seed)
            out.append(Comparison.from_json({"test": test_name, "a": a, "b": b,
                                             "metric": f"{metric}/{len(rows[0]['candidates'])}", **res}))
    return out


def _prepare(ds: D.Dataset | D.Unavailable, limit: int | None, seed: int, cfg: D.NUPConfig
             ) -> tuple[list[NUPExample] | None, DataSetInfo]:
    if isinstance(ds, D.Unavailable):
        return None, DataSetInfo(not_run=ds.reason)
    sample = D.subsample(ds, limit, seed)
    try:
        rows = _examples(sample, cfg)
    except ValueError as exc:
        return None, DataSetInfo(source=ds.source, not_run=f"cannot build NUP examples: {exc}")
    return rows, DataSetInfo(source=ds.source, conversations=len(sample), of=len(ds), examples=len(rows),
                             skipped_records=len(ds.skips))


def _baseline(name: str, config: NUPRunConfig, cache_path: str | Path | None) -> Ranker:
    if name == "zero-shot":
        return BiEncoderRanker.from_model(config.base_model, name="zero-shot", cache_path=cache_path,
                                          max_seq_length=config.max_seq_length, backend=config.embedder_backend)
    if name == "tf-idf":
        return TfidfRanker()
    if name == "random":
        return RandomRanker(config.seed)
    raise ValueError(f"unknown baseline {name!r}; choose from zero-shot, tf-idf, random")


def _cell(ranker: Ranker, kind: str, train: str | None, test_name: str, tests: dict[str, list[NUPExample]],
          result: NUPResult, config: NUPRunConfig, ranks: dict[tuple[str, str], np.ndarray] | None = None
          ) -> NUPCell:
    cell = NUPCell(ranker=kind, train=train, test=test_name)
    if test_name not in tests:
        cell.not_run = f"test data: {result.test_sets[test_name].not_run or 'unavailable'}"
        return cell
    try:
        scores, labels = _scores(ranker, tests[test_name], config.max_history)
        cell.metrics = ranking_metrics(scores, labels)
        cell.embedder_backend, cell.fallback = _embedder_used(ranker)
        cell_ranks = gold_ranks(scores, labels)
        cell.intervals = intervals(cell_ranks, tests[test_name], config.seed)
        if ranks is not None:
            ranks[(cell.label(), test_name)] = cell_ranks
    except Exception as exc:
        log.exception("evaluating %s on %s failed", kind, test_name)
        cell.not_run = f"evaluation failed: {type(exc).__name__}: {exc}"
    return cell


def _embedder_used(ranker: Ranker) -> tuple[str | None, str | None]:
    """The backend a bi-encoder really embedded with (an onnx request may have fallen back to torch, with why)."""
    info = ranker.describe() if hasattr(ranker, "describe") else {}
    return info.get("embedder_backend"), info.get("fallback")
