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
from typing import Any

from .crosstable import markdown_table

NUP_JSON, QUALITY_JSON = "nup.json", "quality.json"
PAPER_HUMAN_LOSING = {"1": 0.172, "3": 0.088}  # paper's human study, iterations 1 and 3


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_finite(data), indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    return path


def _finite(obj: Any) -> Any:
    """NaN/inf -> null, so the JSON is standard (other tools reject bare NaN)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def _num(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def quality_markdown(quality: dict[str, Any]) -> str:
    cols = ["conversations", "utterances", "distinct-1", "distinct-2", "vocabulary", "mean words/utt",
            "mean turns", "contradiction rate", "persona coverage", "toxicity rate", "template leftovers"]
    lines = ["| dataset | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for name, q in quality.get("datasets", {}).items():
        if "not_run" in q:
            lines.append(f"| {name} | not run: {q['not_run']} |" + " |" * (len(cols) - 1))
            continue
        d, ln = q["diversity"], q["lengths"]
        vals = [d["conversations"], d["utterances"], d["distinct-1"], d["distinct-2"], d["vocabulary"],
                ln["utterance_words"].get("mean"), ln["turns"].get("mean"),
                _metric(q["faithfulness"], "contradiction_rate"), _metric(q["persona_coverage"], "coverage"),
                _metric(q["toxicity"], "rate"), q["template_leftovers"]["count"]]
        lines.append(f"| {name} | " + " | ".join(v if isinstance(v, str) else _num(v) for v in vals) + " |")
    out = "\n".join(lines) + "\n"
    det = quality.get("detection")
    if det:
        out += "\n### AI-detection test\n\n"
        if "not_run" in det:
            out += f"not run: {det['not_run']}\n"
        else:
            out += (f"Judge: {det['judge'].get('kind')} ({det['judge'].get('model') or det['judge'].get('judge')}); "
                    f"real = `{det.get('real')}`, synthetic = `{det.get('synthetic')}`. A judge *loses* a pair when "
                    f"it names the real conversation as the synthetic one (chance = 0.5). "
                    f"{det['reference']}.\n\n| iteration | pairs | losing rate |\n|---|---|---|\n")
            for it, v in det["by_iteration"].items():
                out += f"| {it} | {v['pairs']} | {_num(v['losing_rate'])} |\n"
            out += f"| all | {det['pairs']} | {_num(det['losing_rate'])} |\n"
    return out


def _metric(block: dict[str, Any], key: str) -> str:
    return f"not run: {block['not_run']}" if "not_run" in block else _num(block.get(key))


def plot_nup(nup: dict[str, Any], path: Path, metric: str = "hits@1/20") -> Path | None:
    plt = _plt()
    cells = [c for c in nup["baselines"] + nup["cells"] if c.get("metrics")]
    if not cells:
        return None
    tests = list(nup["test_sets"])
    labels = list(dict.fromkeys(c["ranker"] if not c["train"] else f"{c['ranker']}\n({c['train']})" for c in cells))
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(labels)), 4))
    width = 0.8 / max(1, len(tests))
    for j, t in enumerate(tests):
        vals = []
        for lab in labels:
            match = [c for c in cells if c["test"] == t and
                     (c["ranker"] if not c["train"] else f"{c['ranker']}\n({c['train']})") == lab]
            vals.append(match[0]["metrics"][metric] if match else 0.0)
        ax.bar([i + j * width for i in range(len(labels))], vals, width, label=t)
    ax.axhline(1 / 20, color="grey", ls="--", lw=1, label="chance (1/20)")
    ax.set_xticks([i + width * (len(tests) - 1) / 2 for i in range(len(labels))], labels, fontsize=7)
    ax.set_ylabel(metric)
    ax.set_title(f"Next-utterance prediction: {metric} by ranker / training set")
    ax.legend(fontsize=7)
    return _save(fig, path)


def plot_quality(quality: dict[str, Any], path: Path) -> Path | None:
    plt = _plt()
    names = [n for n, q in quality.get("datasets", {}).items() if "not_run" not in q]
    if not names:
        return None
    keys = [("distinct-1", lambda q: q["diversity"]["distinct-1"]), ("distinct-2", lambda q: q["diversity"]["distinct-2"]),
            ("contradiction", lambda q: q["faithfulness"].get("contradiction_rate")),
            ("coverage", lambda q: q["persona_coverage"].get("coverage")), ("toxicity", lambda q: q["toxicity"].get("rate"))]
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(names)
    for j, n in enumerate(names):
        q = quality["datasets"][n]
        vals = [f(q) for _, f in keys]
        ax.bar([i + j * width for i in range(len(keys))], [0.0 if v is None or v != v else v for v in vals], width, label=n)
    ax.set_xticks([i + width * (len(names) - 1) / 2 for i in range(len(keys))], [k for k, _ in keys])
    ax.set_title("Dataset quality by dataset")
    ax.legend(fontsize=7)
    return _save(fig, path)


def plot_lengths(quality: dict[str, Any], path: Path) -> Path | None:
    plt = _plt()
    names = [n for n, q in quality.get("datasets", {}).items() if "not_run" not in q]
    if not names:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for key, ax, title in (("utterance_words_histogram", axes[0], "words per utterance"),
                           ("turns_histogram", axes[1], "turns per conversation")):
        for n in names:
            h = quality["datasets"][n]["lengths"][key]
            total = sum(h["counts"]) or 1
            ax.step(range(len(h["counts"])), [c / total for c in h["counts"]], where="mid", label=n)
            ax.set_xticks(range(len(h["counts"])), [str(b) for b in h["bins"][:-1]], fontsize=7)
        ax.set_title(title)
        ax.set_ylabel("share")
        ax.legend(fontsize=7)
    return _save(fig, path)


def plot_iterations(quality: dict[str, Any], path: Path) -> Path | None:
    """Detection losing rate (with the paper's human figures) and distinct-2 per iteration."""
    plt = _plt()
    det = quality.get("detection") or {}
    series = {n: q["by_iteration"] for n, q in quality.get("datasets", {}).items() if q.get("by_iteration")}
    if not det.get("by_iteration") and not series:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    if det.get("by_iteration"):
        its = list(det["by_iteration"])
        axes[0].plot(its, [det["by_iteration"][i]["losing_rate"] for i in its], marker="o", label="judge")
        ref = [i for i in its if i in PAPER_HUMAN_LOSING]
        if ref:
            axes[0].plot(ref, [PAPER_HUMAN_LOSING[i] for i in ref], marker="x", ls=":", label="paper humans")
        axes[0].axhline(0.5, color="grey", ls="--", lw=1, label="chance")
        axes[0].legend(fontsize=7)
    axes[0].set_title("AI-detection losing rate by iteration")
    for n, by in series.items():
        its = list(by)
        axes[1].plot(its, [by[i]["diversity"]["distinct-2"] for i in its], marker="o", label=n)
    axes[1].set_title("distinct-2 by iteration")
    if series:
        axes[1].legend(fontsize=7)
    return _save(fig, path)


def _save(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    _plt().close(fig)
    return path


def render_report(out_dir: str | Path) -> dict[str, Path]:
    """report.md, report.json and plots from whatever results OUT holds; an error if it holds none."""
    out_dir = Path(out_dir)
    nup = _load(out_dir / NUP_JSON)
    quality = _load(out_dir / QUALITY_JSON)
    from synthetic_persona_chat.annotate.results import report_section as human_section

    human_md, human_plots = human_section(out_dir, quality)  # OUT/human.json from `spc annotate results`
    if nup is None and quality is None and human_md is None:
        raise FileNotFoundError(f"{out_dir} holds neither {NUP_JSON} nor {QUALITY_JSON}: run `spc eval nup` "
                                f"or `spc eval quality --out {out_dir}` first")
    written: dict[str, Path] = {}
    md = ["# Evaluation report\n"]
    if nup is not None:
        md += ["## Next-utterance prediction (hits@1/20)\n", markdown_table(nup, "hits@1/20"),
               "\n### MRR\n", markdown_table(nup, "mrr"), "\n### hits@5/20\n", markdown_table(nup, "hits@5/20")]
        for name, info in nup["test_sets"].items():
            md.append(f"- test set **{name}**: " + (f"not run: {info['not_run']}" if "not_run" in info else
                      f"{info['examples']} examples from {info['conversations']} of {info['of']} conversations "
                      f"(`{info['source']}`)") + "\n")
        p = plot_nup(nup, out_dir / "plots" / "nup_hits1.png")
        if p:
            written["nup_plot"] = p
            md.append(f"\n![NUP hits@1](plots/{p.name})\n")
    if quality is not None:
        md += ["\n## Dataset quality\n", quality_markdown(quality)]
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
    written["json"] = write_json(out_dir / "report.json", {"nup": nup, "quality": quality})
    return written


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
