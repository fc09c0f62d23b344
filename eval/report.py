"""Reports: JSON + Markdown tables + PNG plots from the outputs of `eval nup` and `eval quality`.

`eval nup` writes OUT/nup.json, `eval quality` writes OUT/quality.json; `render_report(OUT)`
reads whichever exist and writes OUT/report.md, OUT/report.json and OUT/plots/*.png:
NUP hits@1 by training and test set, quality metrics by dataset, AI-detection losing rate and
diversity by iteration, utterance-length and turn-count distributions.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, TypedDict

from synthetic_persona_chat.builder.nup import NUM_CANDIDATES
from synthetic_persona_chat.generation.critic.report import run_consistency
from synthetic_persona_chat.json_output import write_json
from synthetic_persona_chat.sample_data import is_sample

from . import stats as S
from .checker_calibration import (CalibrationEstimate, calibration_estimate,  # noqa: F401 (re-exported for the tests)
                                  calibration_text)
from .human_report import HUMAN_JSON, report_section as human_section
from .diversity_result import EmbeddingDiversity, EmbeddingFigures, SizeMatched, Spread
from .figures import Estimate
from .nup_result import NUPCell, NUPResult
from .quality_result import DatasetQuality, DetectionJson, Faithfulness, PersonaCoverage, QualityResult, Toxicity
from .nup_tables import markdown_table, persona_table, table_notes
from .detection import PAPER_HUMAN_LOSING, PAPER_HUMAN_PAIRS, paper_reference
from .generative_table import GENERATIVE_JSON, section as generative_section
from .paper_nup import COLUMN_LABEL, PAPER_NUP_REFERENCE
from .plotting import bar_labels, histogram_steps, pyplot, save_figure
from .report_header import header_markdown

NUP_JSON, QUALITY_JSON = "nup.json", "quality.json"
# Metric names of the NUP results: 1 gold + (NUM_CANDIDATES - 1) distractors per example.
HITS1, HITS5 = f"hits@1/{NUM_CANDIDATES}", f"hits@5/{NUM_CANDIDATES}"


def _num(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def quality_markdown(quality: QualityResult | dict) -> str:
    """Quality tables: every rate with its 95% interval and flags, size-matched diversity, differences
    between datasets, the contradiction checker's calibration, and the AI-detection test. `quality` may be
    the `quality.json` object."""
    quality = QualityResult.from_json(quality)
    cols = ["conversations", "utterances", "mean words/utt [95% CI]", "mean turns [95% CI]",
            "contradiction rate [95% CI] (checker's calibration below)", "persona coverage [95% CI]",
            "toxicity rate [95% CI]", "template leftovers (conversations with one [95% CI])"]
    lines = ["| dataset | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for name, q in quality.datasets.items():
        if q.not_run is not None:
            lines.append(f"| {name} | not run: {q.not_run} |" + " |" * (len(cols) - 1))
            continue
        d, ln, tl = q.diversity, q.lengths, q.template_leftovers
        est = ln.estimates or {}
        vals = [d.conversations, d.utterances,
                est["words_per_utterance"].text(1) if est else ln.utterance_words.get("mean"),
                est["turns"].text(1) if est else ln.turns.get("mean"),
                _rate(q.faithfulness), _rate(q.persona_coverage), _rate(q.toxicity),
                f"{tl.count} ({tl.conversation_rate.text()})" if tl.conversation_rate else tl.count]
        lines.append(f"| {name} | " + " | ".join(v if isinstance(v, str) else _num(v) for v in vals) + " |")
    out = "\n".join(lines) + "\n"
    out += checker_lines(quality)
    out += size_matched_markdown(quality.size_matched_diversity, quality.datasets)
    out += differences_markdown(quality)
    out += detection_markdown(quality.detection)
    return out


def _rate(rate: Faithfulness | PersonaCoverage | Toxicity | None) -> str:
    return rate.text() if rate is not None else "— (no interval)"


def checker_lines(quality: QualityResult) -> str:
    rows = []
    for name, q in quality.datasets.items():
        f = q.faithfulness
        if q.not_run is not None or f is None or f.not_run is not None:
            continue
        c = f.checker or {}
        who = c.get("kind", "?") + (f" ({c['model']})" if c.get("model") else "")
        rows.append(f"- contradiction rate of **{name}** ({f.text()}): checker {who}, "
                    f"{calibration_text(c, quality.seed())}; {f.checked} of {f.of} utterances checked"
                    + (f", {f.undecided} undecided" if f.undecided else ""))
    return ("\n" + "\n".join(rows) + "\n") if rows else ""


def _spread(figure: Spread | None, digits: int = 3) -> str:
    if figure is None or figure.mean is None or not math.isfinite(figure.mean):
        return "—"
    return f"{figure.mean:.{digits}f} ± {figure.sd:.{digits}f}"


def size_matched_markdown(sm: SizeMatched | None, datasets: dict[str, DatasetQuality] | None = None) -> str:
    """The diversity table: size-matched figures (mean ± sd over draws), then the whole-corpus raw distinct-n
    and vocabulary, kept only as labelled context beside the corpus size (they fall with corpus size, so they
    are not compared across datasets and not plotted)."""
    if sm is None or (sm.lexical is None and sm.not_run is None):
        return ""
    if sm.not_run is not None or sm.lexical is None:
        return f"\n### Size-matched diversity\n\nnot run: {sm.not_run}\n"
    lex, emb = sm.lexical, sm.embedding or EmbeddingDiversity()
    out = (f"\n### Size-matched diversity\n\nEvery dataset measured on samples of the same size: "
           f"{lex.tokens} tokens (whole conversations in seeded random order), {lex.draws} draws, mean ± sd "
           f"over draws. Compare these, not the whole-corpus distinct-n of the last column (it falls with corpus size)."
           + (f" Embedding diversity = mean pairwise cosine distance between conversations "
              f"({emb.conversations_per_draw} per draw, {emb.embedder})." if emb.datasets is not None else
              f" Embedding diversity not run: {emb.not_run or 'no embedder'}.")
           + "".join(f" ⚠ {f}." for f in lex.flags + (emb.flags or [])) + "\n\n"
           "| dataset | corpus tokens | distinct-1 | distinct-2 | vocabulary | MATTR (w=50) | embedding diversity "
           "| whole corpus, size-dependent, not comparable: distinct-1 / distinct-2 / vocabulary |\n"
           "|---|---|---|---|---|---|---|---|\n")
    for name, d in lex.datasets.items():
        e = (emb.datasets or {}).get(name) or EmbeddingFigures()
        e_txt = f"not run: {e.not_run}" if e.not_run is not None else _spread(e.embedding_diversity)
        e_txt += "".join(f" ⚠ {f}" for f in e.flags or [])
        raw = (datasets or {}).get(name)
        raw = raw.diversity if raw is not None else None
        raw_txt = " / ".join(_num(v) for v in (raw.distinct_1, raw.distinct_2, raw.vocabulary)) if raw else "—"
        out += (f"| {name} | {d.corpus_tokens} | {_spread(d.distinct_1)} | {_spread(d.distinct_2)} | "
                f"{_spread(d.vocabulary, 1)} | {_spread(d.mattr)} | {e_txt} | {raw_txt} |\n")
    return out


def differences_markdown(quality: QualityResult) -> str:
    """Each dataset's rates minus the first dataset's, with a 95% interval (independent bootstraps)."""
    ok = {n: q for n, q in quality.datasets.items() if q.not_run is None}
    if len(ok) < 2:
        return ""
    ref_name, ref = next(iter(ok.items()))
    keys = list(ref.rates())
    out = (f"\n### Differences from `{ref_name}` (95% CI: bootstrap over conversations ∪ MOVER from the two intervals)\n\n| dataset | "
           + " | ".join(f"Δ {k}" for k in keys) + " |\n|---|" + "---|" * len(keys) + "\n")
    for name, q in ok.items():
        if name == ref_name:
            continue
        cells = []
        for key in keys:
            a, b = _estimate_of(q.rates()[key]), _estimate_of(ref.rates()[key])
            if a is None or b is None:
                cells.append("—")
                continue
            d = S.difference(a.to_json(), b.to_json(), seed=quality.seed())
            d["flags"] = sorted({f"{who}: {f}" for who, est in ((name, a), (ref_name, b))
                                 for f in est.flags or [] if not f.startswith("wide")})
            cells.append(S.fmt(d) + (" (excludes 0)" if d.get("excludes_zero") else " (includes 0)"))
        out += f"| {name} | " + " | ".join(cells) + " |\n"
    return out


def _estimate_of(rate: Faithfulness | PersonaCoverage | Toxicity | None) -> Estimate | None:
    return rate.estimate if rate is not None else None


class ConsistencyRate(S.EstimateJson, total=False):
    """One Critic quality expert's position consistency on one run: a proportion of its comparisons."""

    dataset: str
    expert: str
    consistent: int
    comparisons: int


class DerivedIntervals(TypedDict, total=False):
    """report.json's `derived` block: intervals the report computes from stored counts (none without quality.json)."""

    checker_calibration: dict[str, CalibrationEstimate | None]
    expert_consistency: list[ConsistencyRate]


def expert_consistency(quality: QualityResult | dict) -> list[ConsistencyRate]:
    """The Critic's quality experts' position consistency for every dataset that is a run (the counts the
    conversation stage stored), each a proportion of comparisons with its Wilson 95% interval and flags."""
    quality = QualityResult.from_json(quality)
    return [{"dataset": name, "expert": expert, "consistent": r["consistent"], "comparisons": r["comparisons"],
             **S.proportion(r["consistent"], r["comparisons"], "comparisons")}
            for name, q in quality.datasets.items()
            for expert, r in (run_consistency(q.source) or {}).items()]


def consistency_markdown(quality: QualityResult | dict) -> str:
    """`expert_consistency` as a table; "" when no dataset is a run with stored rates."""
    rows = [f"| {b['dataset']} | {b['expert']} | {S.fmt(b)} | {b['consistent']}/{b['comparisons']} |"
            for b in expert_consistency(quality)]
    if not rows:
        return ""
    return ("\n### Critic quality experts: position consistency\n\nEach pairwise comparison was asked with the "
            "conversations in both orders; a vote counts only when both answers agree. Intervals: Wilson 95% over "
            "comparisons.\n\n| dataset | expert | consistency rate [95% CI] | consistent / comparisons |\n"
            "|---|---|---|---|\n" + "\n".join(rows) + "\n")


def detection_block(pairs: int, losing_rate: float | None) -> S.EstimateJson:
    """Losing rate as a proportion of independent pairs with its Wilson interval and flags."""
    if not pairs or losing_rate is None:
        return S.EstimateJson(value=None, flags=[f"too few pairs: {pairs or 0}"])
    return S.proportion(losing_rate * pairs, pairs, "pairs")


def detection_markdown(det: DetectionJson | None) -> str:
    if not det:
        return ""
    out = "\n### AI-detection test\n\n"
    if "not_run" in det:
        return out + f"not run: {det['not_run']}\n"
    out += (f"Judge: {det['judge'].get('kind')} ({det['judge'].get('model') or det['judge'].get('judge')}); "
            f"real = `{det.get('real')}`{stand_in_note(det.get('real_source'))}, synthetic = `{det.get('synthetic')}`. "
            f"A judge *loses* a pair when "
            f"it names the real conversation as the synthetic one (chance = 0.5). {paper_reference()}. "
            f"Intervals: Wilson 95% over pairs.\n\n| iteration | pairs | losing rate [95% CI] |\n|---|---|---|\n")
    for it, v in det["by_iteration"].items():
        out += f"| {it} | {v['pairs']} | {S.fmt(detection_block(v['pairs'], v['losing_rate']))} |\n"
    out += f"| all | {det['pairs']} | {S.fmt(detection_block(det['pairs'], det['losing_rate']))} |\n"
    return out + pairing_line(det.get("pairing"))


def stand_in_note(source: str | None) -> str:
    """Said beside the "real" side when it is the packaged SPC sample: LLM-written, the fallback of a user who
    has no held-out human conversations, so the test then compares two synthetic data sets."""
    if not source or not is_sample(source):
        return ""
    return (f" (`{source}`: the packaged SPC sample, itself LLM-written, standing in for held-out real "
            "conversations: give a Persona-Chat-format CSV or ParlAI file as the real side)")


def pairing_line(pairing: dict[str, int] | None) -> str:
    """How the pairs were made: beside the same users' real conversation, or at random and why."""
    if not pairing:
        return ""
    return "\nPairs: " + "; ".join(f"{n} {reason}" for reason, n in pairing.items()) + ".\n"


def _yerr(values: list[float], cis: list[Any]) -> list[list[float]]:
    """Asymmetric error bars (value - lo, hi - value); 0 where a figure has no interval."""
    lo, hi = [], []
    for v, ci in zip(values, cis):
        ok = ci and len(ci) == 2 and all(isinstance(x, (int, float)) and math.isfinite(x) for x in ci)
        lo.append(max(0.0, v - ci[0]) if ok else 0.0)
        hi.append(max(0.0, ci[1] - v) if ok else 0.0)
    return [lo, hi]


def plot_nup(nup: NUPResult | dict, path: Path, metric: str = HITS1) -> Path | None:
    """hits@1 per row and test set, with 95% bootstrap intervals as error bars; with `--preset paper` the
    paper's published hits@1 beside our fine-tuned bars as black crosses (other models: see the table notes)."""
    plt = pyplot()
    nup = NUPResult.from_json(nup)
    cells = [c for c in nup.all_cells() if c.metrics]
    if not cells:
        return None
    tests = [t for t in nup.test_sets if any(c.test == t for c in cells)]  # a test set never run: no bars

    def label(c: NUPCell) -> str:
        return c.ranker if not c.train else f"{c.ranker}\n({c.train})"

    labels = list(dict.fromkeys(label(c) for c in cells))
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(labels)), 4))
    width = 0.8 / max(1, len(tests))
    ref_x, ref_y = [], []
    for j, t in enumerate(tests):
        vals, cis = [], []
        for i, lab in enumerate(labels):
            match = next((c for c in cells if c.test == t and label(c) == lab), None)
            vals.append(match.metrics[metric] if match else math.nan)  # not run: no bar, not a 0
            est = (match.intervals or {}).get(metric) if match else None
            cis.append(est.ci if est else None)
            ref = PAPER_NUP_REFERENCE.get((match.train, t)) if match and match.ranker == "fine-tuned" else None
            if nup.preset == "paper" and ref is not None:
                ref_x.append(i + j * width)
                ref_y.append(ref)
        ax.bar([i + j * width for i in range(len(labels))], vals, width, label=t, yerr=_yerr(vals, cis), capsize=3)
    if ref_x:
        ax.scatter(ref_x, ref_y, marker="x", color="black", zorder=3, label=f"{COLUMN_LABEL}, hits@1")
    ax.axhline(1 / NUM_CANDIDATES, color="grey", ls="--", lw=1, label=f"chance (1/{NUM_CANDIDATES})")
    ax.set_xticks([i + width * (len(tests) - 1) / 2 for i in range(len(labels))], labels, fontsize=7)
    ax.set_ylabel(metric)
    ax.set_title(f"Next-utterance prediction: {metric} (95% CI, bootstrap over conversations)", fontsize=9)
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def plot_quality(quality: QualityResult | dict, path: Path) -> Path | None:
    """Rates with 95% intervals; diversity only size-matched (mean ± 1.96 sd over draws)."""
    plt = pyplot()
    quality = QualityResult.from_json(quality)
    names = [n for n, q in quality.datasets.items() if q.not_run is None]
    if not names:
        return None
    sm = quality.size_matched_diversity
    lex = sm.lexical.datasets if sm is not None and sm.lexical is not None else {}

    def rate(key: str) -> Any:
        return lambda n, q: {"value": None} if (est := _estimate_of(q.rates()[key])) is None else est.to_json()

    def matched(field: str) -> Any:
        def block(n: str, q: DatasetQuality) -> S.EstimateJson:
            figure = getattr(lex[n], field) if n in lex else None
            return {"value": figure.mean if figure else None, "ci": figure.ci if figure else None}
        return block

    keys = [("distinct-1\n(size-matched)", matched("distinct_1")), ("distinct-2\n(size-matched)", matched("distinct_2")),
            ("MATTR\n(size-matched)", matched("mattr")), ("contradiction", rate("contradiction rate")),
            ("coverage", rate("persona coverage")), ("toxicity", rate("toxicity rate"))]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(names)
    for j, n in enumerate(names):
        q = quality.datasets[n]
        blocks = [f(n, q) for _, f in keys]
        vals = [b.get("value") for b in blocks]
        labels = bar_labels(vals)  # a zero bar has no height: its "0" says it was measured
        vals = [0.0 if v is None or v != v else v for v in vals]
        bars = ax.bar([i + j * width for i in range(len(keys))], vals, width, label=n,
                      yerr=_yerr(vals, [b.get("ci") for b in blocks]), capsize=3)
        ax.bar_label(bars, labels=labels, fontsize=6, padding=2)
    ax.set_xticks([i + width * (len(names) - 1) / 2 for i in range(len(keys))], [k for k, _ in keys], fontsize=7)
    ax.set_title("Dataset quality (95% CI; diversity on equal-size samples)", fontsize=9)
    ax.legend(fontsize=7)
    return save_figure(fig, path)


def plot_lengths(quality: QualityResult | dict, path: Path) -> Path | None:
    plt = pyplot()
    quality = QualityResult.from_json(quality)
    names = [n for n, q in quality.datasets.items() if q.not_run is None]
    if not names:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for key, ax, title in (("utterance_words_histogram", axes[0], "words per utterance"),
                           ("turns_histogram", axes[1], "turns per conversation")):
        for n in names:
            h = getattr(quality.datasets[n].lengths, key)
            edges, density, beyond = histogram_steps(h["bins"], h["counts"])  # unequal bins on a real axis
            ax.stairs(density, edges, label=f"{n} (≥{h['bins'][-2]}: {beyond:.1%})")
        ax.set_title(title)
        ax.set_ylabel("share per unit")
        ax.legend(fontsize=7)
    return save_figure(fig, path)


def plot_iterations(quality: QualityResult | dict, path: Path) -> Path | None:
    """Detection losing rate per iteration (Wilson 95% error bars, the paper's human figures) and
    size-matched distinct-2 per iteration (mean ± 1.96 sd over draws)."""
    plt = pyplot()
    quality = QualityResult.from_json(quality)
    det = quality.detection or {}  # detection.py's verbatim object
    series = {n: by.lexical for n, by in (quality.size_matched_by_iteration or {}).items() if by.lexical is not None}
    if not det.get("by_iteration") and not series:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    if det.get("by_iteration"):
        its = list(det["by_iteration"])
        blocks = [detection_block(det["by_iteration"][i]["pairs"], det["by_iteration"][i]["losing_rate"]) for i in its]
        vals = [b.get("value") or 0.0 for b in blocks]
        axes[0].errorbar(its, vals, yerr=_yerr(vals, [b.get("ci") for b in blocks]), marker="o", capsize=3,
                         label="judge (95% CI)")
        ref = [i for i in its if i in PAPER_HUMAN_LOSING]
        if ref:
            vals = [PAPER_HUMAN_LOSING[i] for i in ref]
            cis = [S.wilson(v * PAPER_HUMAN_PAIRS, PAPER_HUMAN_PAIRS) for v in vals]
            axes[0].errorbar(ref, vals, yerr=_yerr(vals, cis), marker="x", ls=":", capsize=3,
                             label=f"paper humans ({PAPER_HUMAN_PAIRS} pairs, 95% CI)")
        axes[0].axhline(0.5, color="grey", ls="--", lw=1, label="chance")
        axes[0].legend(fontsize=7)
    axes[0].set_title("AI-detection losing rate by iteration")
    for n, lexical in series.items():
        d = lexical.datasets
        its = list(d)
        vals = [d[i].distinct_2.mean for i in its]
        axes[1].errorbar(its, vals, yerr=_yerr(vals, [d[i].distinct_2.ci for i in its]), marker="o",
                         capsize=3, label=n)
    axes[1].set_title("distinct-2 by iteration (size-matched)")
    if series:
        axes[1].legend(fontsize=7)
    else:  # an empty panel would read as "measured, nothing there"
        axes[1].text(0.5, 0.5, "not measured: no generated dataset\nwith more than one iteration", ha="center",
                     va="center", transform=axes[1].transAxes, fontsize=9)
        axes[1].set_axis_off()
    if not det.get("by_iteration"):
        axes[0].text(0.5, 0.5, "not measured: no AI-detection test", ha="center", va="center",
                     transform=axes[0].transAxes, fontsize=9)
        axes[0].set_axis_off()
    return save_figure(fig, path)


def nup_section(nup: NUPResult, out_dir: Path, written: dict[str, Path]) -> list[str]:
    """The report's NUP part: the three metric tables, the paired notes, the test sets used and the plot
    (added to `written`)."""
    md = [f"## Next-utterance prediction ({HITS1})\n", markdown_table(nup, HITS1),
          "\nNotes (paired hits@1 comparisons on the same test examples):\n\n" + table_notes(nup),
          persona_table(nup),
          "\n### MRR\n", markdown_table(nup, "mrr"), f"\n### {HITS5}\n", markdown_table(nup, HITS5)]
    for name, info in nup.test_sets.items():
        md.append(f"- test set **{name}**: " + (f"not run: {info.not_run}" if info.not_run is not None else
                  f"{info.examples} examples from {info.conversations} of {info.of} conversations "
                  f"(`{info.source}`)") + "\n")
    p = plot_nup(nup, out_dir / "plots" / "nup_hits1.png")
    if p:
        written["nup_plot"] = p
        md.append(f"\n![NUP hits@1](plots/{p.name})\n")
    return md


def render_report(out_dir: str | Path) -> dict[str, Path]:
    """report.md, report.json and plots from whatever results OUT holds; an error if it holds none."""
    out_dir = Path(out_dir)
    nup = _load(out_dir / NUP_JSON)
    quality = _load(out_dir / QUALITY_JSON)

    generative = _load(out_dir / GENERATIVE_JSON)  # `spc eval sft`
    typed_quality = QualityResult.from_json(quality) if quality is not None else None
    human_md, human_plots = human_section(out_dir, typed_quality)  # OUT/human.json from `spc annotate results`
    if nup is None and quality is None and human_md is None and generative is None:
        raise FileNotFoundError(f"{out_dir} holds neither {NUP_JSON} nor {QUALITY_JSON}: run `spc eval nup` "
                                f"or `spc eval quality --out {out_dir}` first")
    written: dict[str, Path] = {}
    md = ["# Evaluation report\n",
          header_markdown(out_dir, [NUP_JSON, QUALITY_JSON, GENERATIVE_JSON, HUMAN_JSON], nup, quality)]
    if nup is not None:
        md += nup_section(NUPResult.from_json(nup), out_dir, written)
    if generative is not None:  # beside the ranker table
        md.append(generative_section(generative))
    if quality is not None:
        md += ["\n## Dataset quality\n", quality_markdown(quality), consistency_markdown(quality)]
        for key, fn, fname in (("quality_plot", plot_quality, "quality_by_dataset.png"),
                               ("lengths_plot", plot_lengths, "length_distributions.png"),
                               ("iterations_plot", plot_iterations, "by_iteration.png")):
            p = fn(quality, out_dir / "plots" / fname)
            if p:
                written[key] = p
                md.append(f"\n![{key}](plots/{p.name})\n")
    if human_md:
        md.append(human_md)
        written.update(human_plots)
    written["markdown"] = out_dir / "report.md"
    written["markdown"].write_text("\n".join(md), encoding="utf-8")
    written["json"] = write_json(out_dir / "report.json", {"nup": nup, "quality": quality,
                                                           "generative": generative,
                                                           "derived": derived_intervals(quality)})
    return written


def derived_intervals(quality: QualityResult | dict | None) -> DerivedIntervals:
    """Intervals the report computes from stored counts (not in quality.json itself), for report.json."""
    if not quality:
        return DerivedIntervals()
    quality = QualityResult.from_json(quality)
    return DerivedIntervals(
        checker_calibration={n: calibration_estimate(q.faithfulness.checker if q.faithfulness else None,
                                                     quality.seed())
                             for n, q in quality.datasets.items() if q.not_run is None},
        expert_consistency=expert_consistency(quality))


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
