"""The NUP cross table as text: the Markdown table, its notes, a model card's interval note, and the slug
that names a training set's ranker.

Apart from `crosstable` (which computes the result) because the report and the model cards render a
result without running anything; each renders the typed `NUPResult` (`nup_result.py`), read from `nup.json`.
"""

from __future__ import annotations

import re

import numpy as np

from .nup_persona import paper_delta_pct
from .nup_result import NUPCell, NUPResult
from .paper_nup import COLUMN_LABEL, PROTOCOL_NOTE, reference_cell

# Checked anchors on ConvAI2 (Persona-Chat, hits@1/20, self-original), other models than ours:
CONVAI2_ANCHORS = ("ConvAI2 published anchors (other models, for scale): ParlAI bi-encoder 0.869, poly-encoder "
                   "0.894, cross-encoder 0.903 (valid, Reddit-pretrained); TransferTransfo 0.807, "
                   "KV-profile-memory 0.552 (hidden test)")


def slug(name: str) -> str:
    """"SPC+Persona-Chat" -> "spc-persona-chat": a training set's name as a folder and model-name part."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def markdown_table(result: NUPResult | dict, metric: str = "hits@1/20") -> str:
    """Rows = ranker (and training set), columns = test sets: value [95% interval] ⚠ flags, or
    "not run: <why>". With `--preset paper` the paper's published hits@1 follow each test set's column,
    labelled as other models' figures (what differs: `table_notes`). `result` may be the `nup.json` object."""
    result = NUPResult.from_json(result)
    test_names = list(result.test_sets)
    ref = result.preset == "paper" and metric.startswith("hits@1")
    head = []
    for t in test_names:
        head += [f"{t} {metric} [95% CI]"] + ([f"{COLUMN_LABEL}: {t} hits@1"] if ref else [])
    lines = ["| ranker | trained on | " + " | ".join(head) + " |", "|---|---|" + "---|" * len(head)]
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for cell in result.all_cells():
        rows.setdefault(cell.row, {})[cell.test] = _fmt(cell, metric)
    for (ranker, train), vals in rows.items():
        cols = []
        for t in test_names:
            cols += [vals.get(t, "")] + ([reference_cell(ranker, train, t)] if ref else [])
        lines.append(f"| {ranker} | {train} | " + " | ".join(cols) + " |")
    return "\n".join(lines) + "\n"


def table_notes(result: NUPResult | dict) -> str:
    """The cross table's notes: paired comparisons with p-values, then the reference figures' provenance."""
    result = NUPResult.from_json(result)
    lines = [c.note() for c in result.comparisons]
    if result.preset == "paper":
        lines.append(f"- {PROTOCOL_NOTE}.")
    lines.append(f"- {CONVAI2_ANCHORS}.")
    return "\n".join(lines) + "\n"


def persona_table(result: NUPResult | dict) -> str:
    """The paper's "None" vs "Persona" comparison, one line per row and test set: hits@1 in each condition,
    the Δ% and the absolute difference with their paired 95% intervals and p-value; "" when not run
    (`eval_nup.no_persona`). With `--preset paper` the paper's own Δ% (its Transformer Ranker) is quoted."""
    result = NUPResult.from_json(result)
    cond = result.no_persona
    if cond is None:
        return ""
    ref = result.preset == "paper"
    head = "| ranker | trained on | test | none | persona | Δ% [95% CI] | persona − none [95% CI], p |"
    lines = [head + (f" {COLUMN_LABEL}: Δ% |" if ref else ""), "|---" * (7 + ref) + "|"]
    for e in cond.effects:
        diff = (f"{e.difference.text()}, p = {e.difference.p_value:.4f}" if e.difference and e.difference.p_value
                is not None else "—")
        row = (f"| {e.ranker} | {e.train or '—'} | {e.test} | {e.none:.3f} | {e.persona:.3f} | "
               f"{e.delta_pct.text(digits=1)} | {diff} |")
        if ref:
            paper = paper_delta_pct(e.ranker, e.train, e.test)
            row += f" {'not in paper' if paper is None else f'{paper:+.1f}'} |"
        lines.append(row)
    for c in cond.cells:
        if c.not_run is not None:
            blank = " | | |" + (" |" if ref else "")
            lines.append(f"| {c.ranker} | {c.train or '—'} | {c.test} | {_fmt(c, '')} |{blank}")
    return ("\n### The persona's effect (the paper's \"None\" vs \"Persona\", hits@1)\n\n"
            "Each row again with no persona in the test contexts (a fine-tuned row: trained without it too); "
            "Δ% = 100 × (persona / none − 1). "
            "Intervals: paired bootstrap over test conversations; p: paired sign-flip permutation test.\n\n"
            + "\n".join(lines) + "\n")


def interval_note(results: list[NUPCell | dict], paper_train: str | None = None) -> str:
    """Markdown note for a model card: each model-index value with its 95% interval and flags.

    Model-index metadata holds plain numbers only; this note sits beside them in the card body.
    `results` are cross-table cells (`test`, `metrics`, `intervals`; the card's cell objects carry more keys,
    kept as extras). With `paper_train` (a `--preset paper` model's training set) each hits@1 line also quotes
    the paper's published figure, labelled as another model's."""
    lines = []
    for r in (_card_cell(r) for r in results):
        for key, est in (r.intervals or {}).items():
            line = f"- {r.test} {key}: {est.text()} ({est.n} examples, {est.clusters} conversations)"
            if paper_train and key.startswith("hits@1"):
                line += f"; {COLUMN_LABEL}: {reference_cell('fine-tuned', paper_train, r.test)}"
            lines.append(line)
    if not lines:
        return ""
    source = f"\n{PROTOCOL_NOTE}.\n" if paper_train else ""
    return ("\n### 95% confidence intervals\n\nBootstrap over test conversations (the model-index values above "
            "are the point estimates):\n\n" + "\n".join(lines) + "\n" + source)


def _card_cell(cell: NUPCell | dict) -> NUPCell:
    """A card's result row as a cell: it names no ranker or training set (the card is about one model)."""
    if isinstance(cell, NUPCell):
        return cell
    return NUPCell.from_json({"ranker": "fine-tuned", "train": None, **cell})


def _fmt(cell: NUPCell, metric: str) -> str:
    if cell.not_run is not None:
        return "not run: " + str(cell.not_run).replace("|", "\\|").replace("\n", " ")
    est = (cell.intervals or {}).get(metric)
    if est is not None:
        return est.text().replace("|", "\\|")
    value = (cell.metrics or {}).get(metric)
    return "—" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.3f}"
