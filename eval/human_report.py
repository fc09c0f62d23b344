"""The "Human evaluation" section of `spc eval report`, rendered from OUT/human.json.

`spc annotate results` computes the figures (`annotate/results.py`, definitions there and in the file);
this module only reads the file, so the report needs nothing of the annotation app.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .detection import PAPER_HUMAN_LOSING
from .figures import Estimate
from .human_result import HumanResult
from .plotting import pyplot, save_figure
from .quality_result import QualityResult

HUMAN_JSON = "human.json"


def _fmt(rate: Estimate | None) -> str:
    if rate is None or rate.value is None or not math.isfinite(rate.value):
        return "—"
    lo, hi = rate.ci or (None, None)
    ci = f" [{lo:.3f}, {hi:.3f}]" if lo is not None and math.isfinite(lo) else ""
    return f"{rate.value:.3f}{ci}"


def _num(v: Any) -> str:
    return "—" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.3f}"


def _detector(quality: QualityResult | None, iteration: Any) -> str:
    det = (quality.detection if quality else None) or {}  # detection.py's verbatim object
    v = (det.get("by_iteration") or {}).get(str(iteration), {}).get("losing_rate")
    return _num(v) if v is not None else "—"


def markdown(human: HumanResult, quality: QualityResult | None = None) -> str:
    """The report section: tables for the three tasks and agreement, definitions in words."""
    cfg = human.config
    out = [f"Study `{human.study}`: {human.answers} of {human.expected_answers} answers in, "
           f"{cfg['annotators']} annotators, {cfg['items_per_annotator']} items each, each item judged by "
           f"{cfg['overlap']}; real = `{cfg['real']}`, synthetic = "
           + ", ".join(f"`{k}` (`{v}`)" for k, v in cfg["synthetic"].items()) + ". "
           + "Rates with 95% Wilson intervals over judgements.\n"]
    if human.turing:
        out += ["\n### Turing test\n",
                "*Losing rate* = the synthetic conversation named machine-written (the paper's figure: 17.2% at "
                "iteration 1, 8.8% at iteration 3). The detector column is the automatic AI-detection test's own "
                "rate (`eval quality`: the share of pairs where it named the *human* conversation), comparable "
                "with the *real named* column.\n",
                "| dataset | iteration | judgements | losing rate | real named | unsure | detector |",
                "|---|---|---|---|---|---|---|"]
        out += [f"| {r.dataset} | {_it(r.iteration)} | {r.judgements} | {_fmt(r.losing_rate)} | "
                f"{_fmt(r.fooled_rate)} | {_fmt(r.unsure_rate)} | {_detector(quality, r.iteration)} |"
                for r in human.turing]
        if any(r.same_users is not None for r in human.turing):
            same, total = sum(r.same_users or 0 for r in human.turing), sum(r.judgements for r in human.turing)
            out.append(f"\n{same} of {total} judgements on pairs showing the real conversation of the same two users "
                       "(the paper's design); the others were paired at random, each item says why.")
    if human.quality:
        out += ["\n### Pairwise quality (synthetic vs real)\n",
                "| aspect | judgements | synthetic wins | tie | real wins | cannot tell |", "|---|---|---|---|---|---|"]
        out += [f"| {r.aspect} | {r.judgements} | {_fmt(r.win_rate)} | {_fmt(r.tie_rate)} | "
                f"{_fmt(r.lose_rate)} | {_fmt(r.unsure_rate)} |"  # human.json before "unsure": none
                for r in human.quality]
    if human.faithfulness:
        out += ["\n### Persona faithfulness\n", "| dataset | iteration | judgements | contradiction rate |",
                "|---|---|---|---|"]
        out += [f"| {r.dataset} | {_it(r.iteration)} | {r.judgements} | {_fmt(r.contradiction_rate)} |"
                for r in human.faithfulness]
    if human.attributes:
        out += ["\n### Persona attributes inferred (the paper's eight-option faithfulness question)\n",
                "*Precision* = share of the picked attributes that are the speaker's own (the paper's figure); "
                "*recall* = share of the speaker's shown attributes picked; then how often a negated own "
                "attribute and another user's attribute were picked (a faithful conversation: high, high, low, "
                "low).\n",
                "| dataset | iteration | judgements | precision | recall | negated picked | other user's picked |",
                "|---|---|---|---|---|---|---|"]
        out += [f"| {r.dataset} | {_it(r.iteration)} | {r.judgements} | {_fmt(r.precision)} | {_fmt(r.recall)} | "
                f"{_fmt(r.negated_picked)} | {_fmt(r.other_picked)} |" for r in human.attributes]
    if human.agreement:
        out += ["\n### Inter-annotator agreement\n", "| task | units | judgements | Fleiss' kappa | Krippendorff's alpha |",
                "|---|---|---|---|---|"]
        out += [f"| {t} | {a.units} | {a.judgements} | {_num(a.fleiss_kappa)} | {_num(a.krippendorff_alpha)} |"
                for t, a in human.agreement.items()]
    return "\n".join(out) + "\n"


def _it(iteration: Any) -> str:
    return "—" if iteration is None else str(iteration)


def plot(human: HumanResult, path: Path) -> Path | None:
    """Losing rate per iteration with 95% intervals (paper's humans beside) and quality win rates per aspect."""
    if not human.turing and not human.quality:
        return None
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for name in dict.fromkeys(r.dataset for r in human.turing):
        rates = [r.losing_rate for r in human.turing if r.dataset == name]
        xs = [_it(r.iteration) for r in human.turing if r.dataset == name]
        ys, err = _error_bars(rates)
        axes[0].errorbar(xs, ys, yerr=err, marker="o", capsize=4, label=f"{name} (humans, 95% CI)")
    ref = sorted(PAPER_HUMAN_LOSING.items())
    axes[0].plot([k for k, _ in ref], [v for _, v in ref], marker="x", ls=":", label="paper humans")
    axes[0].set_ylim(0, 1)
    axes[0].set_xlabel("iteration")
    axes[0].set_title("Human losing rate (synthetic named machine-written)")
    axes[0].legend(fontsize=7)
    if human.quality:
        ys, err = _error_bars([r.win_rate for r in human.quality])
        axes[1].bar([r.aspect for r in human.quality], ys, yerr=err, capsize=4)
        axes[1].set_ylim(0, 1)
    axes[1].set_title("Synthetic win rate per quality aspect")
    return save_figure(fig, path)


def _error_bars(rates: list[Estimate]) -> tuple[list[Any], list[list[float]]]:
    """(values, [below, above]) of rates for matplotlib's `yerr`: the interval's distance from the value."""
    ys = [r.value for r in rates]
    return ys, [[max(0.0, y - r.ci[0]) for y, r in zip(ys, rates)], [max(0.0, r.ci[1] - y) for y, r in zip(ys, rates)]]


def report_section(out_dir: str | Path, quality: QualityResult | None = None) -> tuple[str | None, dict[str, Path]]:
    """For `eval.report.render_report`: the Markdown of OUT/human.json (None if absent) and its plot."""
    path = Path(out_dir) / HUMAN_JSON
    if not path.exists():
        return None, {}
    human = HumanResult.from_json(json.loads(path.read_text(encoding="utf-8")))
    md = "\n## Human evaluation\n\n" + markdown(human, quality)
    written = {}
    p = plot(human, Path(out_dir) / "plots" / "human_evaluation.png")
    if p:
        written["human_plot"] = p
        md += f"\n![human evaluation](plots/{p.name})\n"
    return md, written
