"""Offline contradiction checkers measured side by side; (re)trains and (re)calibrates the shipped default.

    python benchmarks/contradiction_checker.py [--labels ../shared/data/faithfulness/public.jsonl]
        [--train] [--write-calibration]
        [--checkers minilm-polarity/fp32,minilm-polarity/bf16,minilm-polarity/onnx,llm-judge/logprob,...]

--train               regenerate synthetic_persona_chat/models/contradiction_polarity.json: synthetic pairs
                      made by rule from the SPC sample shipped in the package (seeded), never the labels file.
--write-calibration   store each checker's calibration in synthetic_persona_chat/models/
                      contradiction_calibration.json, the package data behind `calibration_of(checker)`.

Every checker scores every labelled pair once; the threshold is chosen on the calibration half (seeded,
per label) and AUROC / F1 / precision / recall are measured on the held-aside half. Pairs per second
are measured on the same run (after the model is loaded).

`minilm-polarity/fp32` and `minilm-polarity/bf16` are the default checker with its encoder in float32 or
under CPU bf16 autocast (`precision`; `auto` picks bf16 where the CPU has it natively);
`minilm-polarity/onnx` runs MiniLM through onnxruntime in float32 (`encoder: onnx`). Each is calibrated
on its own, and `encoder_agreement` compares each with float32 pair by pair on the labelled pairs and on
the utterance x own-attribute pairs of real SPC test conversations (`--agreement-conversations`): the
largest score difference and how many verdicts flip at each one's thresholds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import SHARED_DATA, write_results  # noqa: E402
from synthetic_persona_chat.generation.critic.calibrate import calibrate_checker, load_labels  # noqa: E402
from synthetic_persona_chat.models.contradiction import (CALIBRATION_FILE, checker_key,  # noqa: E402
                                                         load_contradiction_checker)

PACKAGE_MODELS = Path(__file__).resolve().parents[1] / "synthetic_persona_chat" / "models"
DEFAULT_LABELS = SHARED_DATA / "faithfulness" / "public.jsonl"


def train(seed: int) -> dict:
    """Weights of `minilm-polarity` from synthetic pairs of the packaged SPC sample."""
    from synthetic_persona_chat.models import Embedder
    from synthetic_persona_chat.models.contradiction_polarity import WEIGHTS_FILE
    from synthetic_persona_chat.models.nli_training import fit, make_pairs, speakers_of
    from synthetic_persona_chat.readers.spc_csv import read_spc_csv
    from synthetic_persona_chat.sample_data import sample_path

    conversations = [c for split in ("valid", "test") for c in read_spc_csv(sample_path(split))[0]]
    emb = Embedder("minilm")
    pairs = make_pairs(speakers_of(conversations), emb.encode, seed)
    weights = fit(pairs, emb.encode, seed)
    weights["training"]["source"] = "spc-sample:valid + spc-sample:test (packaged), rule-made pairs"
    (PACKAGE_MODELS / WEIGHTS_FILE).write_text(json.dumps(weights, indent=2) + "\n")
    print(f"trained on {len(pairs)} synthetic pairs: {weights['training']}")
    return weights


def make_checker(name: str, llm_cache: dict):
    if name == "minilm-polarity" or name.startswith("minilm-polarity/"):
        variant = name.split("/", 1)[1] if "/" in name else "auto"
        if variant == "onnx":
            return load_contradiction_checker({"backend": "minilm-polarity", "encoder": "onnx"})
        return load_contradiction_checker({"backend": "minilm-polarity", "precision": variant})
    if name.startswith("llm-judge/"):
        if "llm" not in llm_cache:
            from synthetic_persona_chat.models import load_llm
            llm_cache["llm"] = load_llm("transformers:smollm2")
        return load_contradiction_checker({"backend": "llm-judge", "scoring": name.split("/", 1)[1]},
                                          llm=llm_cache["llm"])
    return load_contradiction_checker(name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labels", default=str(DEFAULT_LABELS))
    ap.add_argument("--checkers", default="minilm-polarity/fp32,minilm-polarity/bf16,minilm-polarity/onnx,"
                                          "llm-judge/logprob,llm-judge/greedy")
    ap.add_argument("--agreement-conversations", type=int, default=300,
                    help="SPC test conversations whose pairs compare float32 and bf16 scores")
    ap.add_argument("--seed", type=int, default=0, help="training seed and calibration split seed")
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--write-calibration", action="store_true")
    args = ap.parse_args()
    if args.train:
        train(args.seed)
    items = load_labels(args.labels)
    rows, calibrations, llm_cache, polarity = [], {}, {}, {}
    for name in args.checkers.split(","):
        checker = make_checker(name, llm_cache)
        if name.startswith("minilm-polarity/"):
            polarity[name.split("/", 1)[1]] = checker
        start = time.perf_counter()
        result = calibrate_checker(checker, items, seed=args.seed)
        seconds = time.perf_counter() - start
        result["labels"] = {"file": Path(args.labels).name, "n": len(items), "half": "held-aside"}
        calibrations[checker_key(checker)] = {k: v for k, v in result.items() if k != "checker"}
        checker.calibration = calibrations[checker_key(checker)]  # what precision_agreement cuts at
        rows.append({"checker": name, "key": checker_key(checker), "auroc": result["auroc"], "f1": result["f1"],
                     "precision": result["precision"], "recall": result["recall"],
                     "threshold": result["threshold"], "n_held_aside": result["n"],
                     "calibration_auroc": result["calibration_part"]["auroc"],
                     "pairs_per_s": round(len(items) / seconds, 1)})
    write_results("contradiction_checker", rows,
                  ["checker", "auroc", "f1", "precision", "recall", "threshold", "n_held_aside",
                   "calibration_auroc", "pairs_per_s"],
                  extra={"labels": Path(args.labels).name, "split_seed": args.seed,
                         "always_contradiction_f1": _always_f1(items, args.seed),
                         **({"encoder_agreement": {
                             name: agreement(polarity["fp32"], other, items, args.agreement_conversations)
                             for name, other in polarity.items() if name != "fp32"}} if "fp32" in polarity else {})})
    if args.write_calibration:
        path = PACKAGE_MODELS / CALIBRATION_FILE
        current = json.loads(path.read_text()) if path.is_file() else {}
        for key, cal in calibrations.items():  # the conversation point is written by faithfulness_false_alarms.py
            kept = (current.get(key) or {}).get("conversation")  # --write-calibration: rerun it after --train
            current[key] = {**cal, **({"conversation": kept} if kept else {})}
        path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
        print(f"wrote {path}")


def agreement(fp32, other, items, conversations: int) -> dict:
    """How far another encoder's scores move from torch float32 ones, and how many verdicts flip, at each
    one's own thresholds, on the labelled pairs and on real SPC test pairs."""
    from synthetic_persona_chat.generation.critic.faithfulness import threshold
    from synthetic_persona_chat.readers import read_spc_csv

    spc = SHARED_DATA / "spc" / "Synthetic-Persona-Chat_test.csv"
    pairs = [(a, t.text) for c in read_spc_csv(spc)[0][:conversations] for t in c.turns
             for a in (c.user1_persona if t.speaker == "user 1" else c.user2_persona)]
    sets = {"labelled": [(i.persona, i.utterance) for i in items], "spc_test_pairs": pairs}
    cuts = [(float(c.calibration["threshold"]), threshold(c, None)[0]) for c in (fp32, other)]
    out = {}
    for name, pset in sets.items():
        a = fp32.scores([p for p, _ in pset], [h for _, h in pset])
        b = other.scores([p for p, _ in pset], [h for _, h in pset])
        out[name] = {"pairs": len(pset), "max_abs_score_diff": round(float(abs(a - b).max()), 5),
                     "mean_abs_score_diff": round(float(abs(a - b).mean()), 6),
                     "flips_at_best_f1": int(((a > cuts[0][0]) != (b > cuts[1][0])).sum()),
                     "flips_at_strict": int(((a > cuts[0][1]) != (b > cuts[1][1])).sum()),
                     "contradictions_fp32_strict": int((a > cuts[0][1]).sum())}
    return out


def _always_f1(items, seed: int) -> float:
    """F1 of answering "contradiction" every time on the held-aside half: the floor to beat."""
    from synthetic_persona_chat.generation.critic.calibrate import split_labels
    held = split_labels(items, seed)[1]
    p = sum(it.label == "contradiction" for it in held) / len(held)
    return round(2 * p / (p + 1), 4)


if __name__ == "__main__":
    main()
