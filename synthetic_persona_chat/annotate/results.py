"""A study's answers as figures: the paper's losing rate per iteration, quality win rates, faithfulness,
agreement; and the "Human evaluation" section of `spc eval report`.

Definitions (also written into human.json, so a reader of the numbers need not read this code):
- *losing rate* (the paper's): share of Turing judgements that name the synthetic conversation as the
  machine-written one; the synthetic dataset "loses" the pair. 0 = never caught. The other answers are
  *fooled* (the human conversation named) and *unsure*.
- *quality win rate* per aspect: share of judgements preferring the synthetic conversation; ties and
  losses are reported beside it.
- *contradiction rate*: share of faithfulness judgements saying the speaker contradicts their persona,
  per dataset (the human-written one included, as a baseline).
- Intervals are 95% Wilson score intervals over judgements (eval/stats.py). Judgements of one item by
  `overlap` people are not independent, so read the interval as a lower bound on the uncertainty.
- Agreement: Fleiss' kappa (complete items) and Krippendorff's alpha (all answers) on the raw answers
  (left/right/unsure...), per task; quality pools aspects, each (item, aspect) one unit.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

from synthetic_persona_chat.eval.stats import proportion

from .agreement import fleiss_kappa, krippendorff_alpha
from .store import StudyStore

HUMAN_JSON = "human.json"
DEFINITIONS = {
    "losing_rate": "share of Turing judgements naming the synthetic conversation as machine-written (paper's losing rate)",
    "fooled_rate": "share of Turing judgements naming the human-written conversation as machine-written",
    "win_rate": "share of pairwise quality judgements preferring the synthetic conversation",
    "contradiction_rate": "share of faithfulness judgements saying the speaker contradicts their persona",
    "ci": "95% Wilson score interval over judgements",
    "agreement": "Fleiss' kappa over items with all judgements in; Krippendorff's alpha (nominal) over all answers",
}


def judgements(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (answer, question) with the raw value and what it means for the synthetic side."""
    rows = []
    for a in answers:
        item = a["item"]
        for question, value in a["answer"].items():
            outcome = value
            if item.synthetic_side:
                other = "right" if item.synthetic_side == "left" else "left"
                outcome = {item.synthetic_side: "synthetic", other: "real"}.get(value, value)
            rows.append({"item_id": item.id, "task": item.task, "question": question, "value": value,
                         "outcome": outcome, "dataset": item.dataset, "iteration": item.iteration,
                         "annotator": a["annotator"]})
    return rows


def _rate(rows: list[dict[str, Any]], outcome: str) -> dict[str, Any]:
    return proportion(sum(r["outcome"] == outcome for r in rows), len(rows), "judgements")


def _by(rows: list[dict[str, Any]], *keys: str) -> dict[tuple, list[dict[str, Any]]]:
    out: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[tuple(r[k] for k in keys)].append(r)
    return dict(sorted(out.items(), key=lambda kv: tuple((v is None, v if v is not None else 0) for v in kv[0])))


def _agreement(rows: list[dict[str, Any]], overlap: int) -> dict[str, Any]:
    ratings = [((r["item_id"], r["question"]), r["value"]) for r in rows]
    units = {u for u, _ in ratings}
    return {"fleiss_kappa": fleiss_kappa(ratings, raters=overlap), "krippendorff_alpha": krippendorff_alpha(ratings),
            "units": len(units), "judgements": len(ratings)}


def compute(store: StudyStore) -> dict[str, Any]:
    """Every figure of the study, from the answers recorded so far."""
    config = store.config()
    rows = judgements(store.answers())
    task = {t: [r for r in rows if r["task"] == t] for t in ("turing", "quality", "faithfulness")}
    result: dict[str, Any] = {
        "study": config.name, "config": config.to_dict(), "definitions": DEFINITIONS,
        "answers": len({(r["item_id"], r["annotator"]) for r in rows}),
        "expected_answers": config.annotators * config.items_per_annotator, "items": len(store.items()),
        "turing": [{"dataset": d, "iteration": it, "judgements": len(rs), "losing_rate": _rate(rs, "synthetic"),
                    "fooled_rate": _rate(rs, "real"), "unsure_rate": _rate(rs, "unsure")}
                   for (d, it), rs in _by(task["turing"], "dataset", "iteration").items()],
        "quality": [{"aspect": a, "judgements": len(rs), "win_rate": _rate(rs, "synthetic"),
                     "tie_rate": _rate(rs, "tie"), "lose_rate": _rate(rs, "real")}
                    for (a,), rs in _by(task["quality"], "question").items()],
        "faithfulness": [{"dataset": d, "iteration": it, "judgements": len(rs),
                          "contradiction_rate": _rate(rs, "yes")}
                         for (d, it), rs in _by(task["faithfulness"], "dataset", "iteration").items()],
        "agreement": {t: _agreement(rs, config.overlap) for t, rs in task.items() if rs},
    }
    return result


def write_results(store: StudyStore, out_dir: str | Path) -> Path:
    """OUT/human.json, which `spc eval report OUT` turns into its "Human evaluation" section."""
    from synthetic_persona_chat.eval.report import write_json

    return write_json(Path(out_dir) / HUMAN_JSON, compute(store))


def _fmt(block: dict[str, Any] | None) -> str:
    if not block or block.get("value") is None or not math.isfinite(block["value"]):
        return "—"
    lo, hi = block.get("ci") or (None, None)
    ci = f" [{lo:.3f}, {hi:.3f}]" if lo is not None and math.isfinite(lo) else ""
    return f"{block['value']:.3f}{ci}"


def _num(v: Any) -> str:
    return "—" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.3f}"


def _detector(quality: dict[str, Any] | None, iteration: Any) -> str:
    det = (quality or {}).get("detection") or {}
    v = (det.get("by_iteration") or {}).get(str(iteration), {}).get("losing_rate")
    return _num(v) if v is not None else "—"


def markdown(human: dict[str, Any], quality: dict[str, Any] | None = None) -> str:
    """The report section: tables for the three tasks and agreement, definitions in words."""
    cfg = human["config"]
    out = [f"Study `{human['study']}`: {human['answers']} of {human['expected_answers']} answers in, "
           f"{cfg['annotators']} annotators, {cfg['items_per_annotator']} items each, each item judged by "
           f"{cfg['overlap']}; real = `{cfg['real']}`, synthetic = "
           + ", ".join(f"`{k}` (`{v}`)" for k, v in cfg["synthetic"].items()) + ". "
           + "Rates with 95% Wilson intervals over judgements.\n"]
    if human["turing"]:
        out += ["\n### Turing test\n",
                "*Losing rate* = the synthetic conversation named machine-written (the paper's figure: 17.2% at "
                "iteration 1, 8.8% at iteration 3). The detector column is the automatic AI-detection test's own "
                "rate (`eval quality`: the share of pairs where it named the *human* conversation), comparable "
                "with the *real named* column.\n",
                "| dataset | iteration | judgements | losing rate | real named | unsure | detector |",
                "|---|---|---|---|---|---|---|"]
        out += [f"| {r['dataset']} | {_it(r['iteration'])} | {r['judgements']} | {_fmt(r['losing_rate'])} | "
                f"{_fmt(r['fooled_rate'])} | {_fmt(r['unsure_rate'])} | {_detector(quality, r['iteration'])} |"
                for r in human["turing"]]
    if human["quality"]:
        out += ["\n### Pairwise quality (synthetic vs real)\n", "| aspect | judgements | synthetic wins | tie | real wins |",
                "|---|---|---|---|---|"]
        out += [f"| {r['aspect']} | {r['judgements']} | {_fmt(r['win_rate'])} | {_fmt(r['tie_rate'])} | "
                f"{_fmt(r['lose_rate'])} |" for r in human["quality"]]
    if human["faithfulness"]:
        out += ["\n### Persona faithfulness\n", "| dataset | iteration | judgements | contradiction rate |",
                "|---|---|---|---|"]
        out += [f"| {r['dataset']} | {_it(r['iteration'])} | {r['judgements']} | {_fmt(r['contradiction_rate'])} |"
                for r in human["faithfulness"]]
    if human["agreement"]:
        out += ["\n### Inter-annotator agreement\n", "| task | units | judgements | Fleiss' kappa | Krippendorff's alpha |",
                "|---|---|---|---|---|"]
        out += [f"| {t} | {a['units']} | {a['judgements']} | {_num(a['fleiss_kappa'])} | {_num(a['krippendorff_alpha'])} |"
                for t, a in human["agreement"].items()]
    return "\n".join(out) + "\n"


def _it(iteration: Any) -> str:
    return "—" if iteration is None else str(iteration)


def plot(human: dict[str, Any], path: Path) -> Path | None:
    """Losing rate per iteration with 95% intervals (paper's humans beside) and quality win rates per aspect."""
    from synthetic_persona_chat.eval.report import PAPER_HUMAN_LOSING, _plt, _save

    if not human["turing"] and not human["quality"]:
        return None
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for name in dict.fromkeys(r["dataset"] for r in human["turing"]):
        rs = [r for r in human["turing"] if r["dataset"] == name]
        xs = [_it(r["iteration"]) for r in rs]
        ys = [r["losing_rate"]["value"] for r in rs]
        err = [[max(0.0, y - r["losing_rate"]["ci"][0]) for y, r in zip(ys, rs)],
               [max(0.0, r["losing_rate"]["ci"][1] - y) for y, r in zip(ys, rs)]]
        axes[0].errorbar(xs, ys, yerr=err, marker="o", capsize=4, label=f"{name} (humans, 95% CI)")
    ref = sorted(PAPER_HUMAN_LOSING.items())
    axes[0].plot([k for k, _ in ref], [v for _, v in ref], marker="x", ls=":", label="paper humans")
    axes[0].set_ylim(0, 1)
    axes[0].set_xlabel("iteration")
    axes[0].set_title("Human losing rate (synthetic named machine-written)")
    axes[0].legend(fontsize=7)
    if human["quality"]:
        rs = human["quality"]
        ys = [r["win_rate"]["value"] for r in rs]
        err = [[max(0.0, y - r["win_rate"]["ci"][0]) for y, r in zip(ys, rs)],
               [max(0.0, r["win_rate"]["ci"][1] - y) for y, r in zip(ys, rs)]]
        axes[1].bar([r["aspect"] for r in rs], ys, yerr=err, capsize=4)
        axes[1].set_ylim(0, 1)
    axes[1].set_title("Synthetic win rate per quality aspect")
    return _save(fig, path)


def report_section(out_dir: str | Path, quality: dict[str, Any] | None = None) -> tuple[str | None, dict[str, Path]]:
    """For `eval.report.render_report`: the Markdown of OUT/human.json (None if absent) and its plot."""
    path = Path(out_dir) / HUMAN_JSON
    if not path.exists():
        return None, {}
    human = json.loads(path.read_text(encoding="utf-8"))
    md = "\n## Human evaluation\n\n" + markdown(human, quality)
    written = {}
    p = plot(human, Path(out_dir) / "plots" / "human_evaluation.png")
    if p:
        written["human_plot"] = p
        md += f"\n![human evaluation](plots/{p.name})\n"
    return md, written
