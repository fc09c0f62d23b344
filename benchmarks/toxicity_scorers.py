"""Toxicity scorers side by side: the calibration's held-aside figures, lines written after training, generated text.

Why: `spc critic calibrate --expert toxicity` measures one scorer. Choosing between scorers (a retrained adapter
against the shipped one, a budget against another) needs them on the same split in one run, and two more views
the calibration cannot give: lines no labelled line resembles (`--fresh`: written before the scorer was trained,
a check that the held-aside recall is not an artefact of how the labels file was written), and the Generator's own
candidates (`--generated RUN_DIR`: the expert's real input, unlabelled, so the flagged lines are listed to read).

    python benchmarks/toxicity_scorers.py --scorer toxicity-ensemble --scorer minilm-lora-toxicity:/tmp/adapter \\
        --scorer '{"backend": "toxicity-ensemble", "members": ["minilm-lora-toxicity", "minilm-toxicity"]}' \\
        --budget 0.01 --budget 0.015 --split-seed 0 --split-seed 1 --generated runs/demo

Writes benchmarks/results/toxicity_scorers.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._report import SHARED_DATA, write_results  # noqa: E402
from synthetic_persona_chat.generation.critic.toxicity import calibrate_toxicity  # noqa: E402
from synthetic_persona_chat.models.toxicity import load_toxicity_scorer  # noqa: E402
from synthetic_persona_chat.models.toxicity_head import TOXIC, load_toxicity_labels  # noqa: E402
from synthetic_persona_chat.readers import read_spc_csv  # noqa: E402

FRESH = Path(__file__).with_name("toxicity_fresh_lines.txt")


class MemoScorer:
    """A scorer that scores each text once, so every budget reuses the same scores (and stays comparable)."""

    def __init__(self, scorer: Any) -> None:
        self.scorer, self.kind, self._memo = scorer, scorer.kind, {}
        self.trained_on = getattr(scorer, "trained_on", {})

    def scores(self, texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if new:
            self._memo.update(zip(new, (float(s) for s in self.scorer.scores(new))))
        return np.array([self._memo[t] for t in texts], dtype=np.float32)

    def describe(self) -> dict[str, Any]:
        return self.scorer.describe()


def generated_lines(run_dirs: list[str]) -> list[list[str]]:
    """Every candidate's utterances (passed or not) from runs' candidates.parquet: what the expert scores."""
    import pandas as pd

    convs = []
    for run in run_dirs:
        frame = pd.read_parquet(Path(run) / "conversations" / "candidates.parquet", columns=["turns"])
        convs += [[t["text"] for t in turns] for turns in frame["turns"] if turns is not None and len(turns)]
    return convs


def measure(spec: str, scorer: MemoScorer, budget: float, convs: list, labelled: list, fresh: list,
            generated: list[list[str]], split_seed: int = 0) -> dict[str, Any]:
    result = calibrate_toxicity(scorer, convs, labelled, seed=split_seed, max_fpr=budget)
    cut, fpr, rec = result["threshold"], result["conversation_fpr"], result["inserted_recall"]
    row: dict[str, Any] = {
        "scorer": spec, "budget": budget, "split seed": split_seed, "cut": round(cut, 4),
        "clean rejected": f"{fpr['hits']}/{fpr['n']} {fpr['rate']:.2%}",
        "caught": f"{rec['hits']}/{rec['n']} {rec['rate']:.1%}",
        "by kind": ", ".join(f"{k} {v['hits']}/{v['n']}" for k, v in rec["by_kind"].items()),
        "hard negatives flagged": f"{result['hard_negative_fpr']['hits']}/{result['hard_negative_fpr']['n']}",
        "missed": rec["missed"]}
    if fresh:
        hit = scorer.scores([it.text for it in fresh]) > cut
        row["fresh caught"] = f"{int(hit.sum())}/{len(fresh)}"
        row["fresh missed"] = [it.text for h, it in zip(hit, fresh) if not h]
    if generated:
        conv_scores = [scorer.scores(conv) for conv in generated]
        flagged = [(t, s) for conv, scores in zip(generated, conv_scores) for t, s in zip(conv, scores) if s > cut]
        rejected = sum(bool(scores.max() > cut) for scores in conv_scores)
        row["generated rejected"] = f"{rejected}/{len(generated)}"
        row["generated flagged"] = [f"{s:.2f} {t}" for t, s in sorted(flagged, key=lambda x: -x[1])]
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--test", default=str(SHARED_DATA / "spc" / "Synthetic-Persona-Chat_test.csv"),
                   help="SPC CSV whose conversations are the clean negatives (the calibration's)")
    p.add_argument("--scorer", action="append", help="a models.toxicity spec, or a JSON mapping spec (repeatable; "
                   "default: toxicity-ensemble, minilm-lora-toxicity and minilm-toxicity)")
    p.add_argument("--budget", action="append", type=float, help="clean conversations allowed rejected on the "
                   "calibration half (repeatable; default 0.01)")
    p.add_argument("--split-seed", action="append", type=int, help="seed of the clean conversations' calibration / "
                   "held-aside split (repeatable: each split is a row; default 0, the calibration's)")
    p.add_argument("--fresh", default=str(FRESH), help="labels-format file of offensive lines no scorer trained on")
    p.add_argument("--generated", action="append", default=[], help="a run directory whose candidates to score")
    p.add_argument("--name", default="toxicity_scorers", help="results file name")
    args = p.parse_args()
    convs, _ = read_spc_csv(args.test)
    labelled = load_toxicity_labels()
    fresh = [it for it in load_toxicity_labels(args.fresh) if it.label == TOXIC] if args.fresh else []
    generated = generated_lines(args.generated)
    rows = []
    for spec in args.scorer or ["toxicity-ensemble", "minilm-lora-toxicity", "minilm-toxicity"]:
        scorer = MemoScorer(load_toxicity_scorer(json.loads(spec) if spec.startswith("{") else spec))
        for budget in args.budget or [0.01]:
            for split_seed in args.split_seed or [0]:
                rows.append(measure(spec, scorer, budget, convs, labelled, fresh, generated, split_seed))
                print({k: v for k, v in rows[-1].items() if not isinstance(v, list)}, flush=True)
    columns = ["scorer", "budget", "split seed", "cut", "clean rejected", "caught", "by kind", "hard negatives flagged",
               "fresh caught", "generated rejected"]
    write_results(args.name, rows, columns, extra={"test": args.test, "fresh": args.fresh,
                                                   "generated": args.generated})


if __name__ == "__main__":
    main()
