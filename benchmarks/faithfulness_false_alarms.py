"""The default faithfulness checker's false alarms and misses, side by side with its pair-level quality.

    python benchmarks/faithfulness_false_alarms.py [--split test] [--show]

Three figures, one checker, one run (issue #28 item 2):
- **rejected**: share of the packaged SPC sample's conversations (spc-sample:test, 150) the faithfulness
  expert drops at the checker's strict threshold: real conversations, so nearly every one is a false alarm
  (`--show` prints each with its worst pair, to classify by hand);
- **denials caught**: the same conversations with one line of a speaker replaced by a rule-made denial of one of
  their attributes (`nli_features.negate`, attribute chosen by a seeded draw), share rejected: must stay ~100%;
- **AUROC** of the pair scores on the public labelled pairs (../shared/data/faithfulness/public.jsonl), all 200
  and the held-aside half of the calibration split, so a change that trades ranking quality for fewer
  rejections shows.
Scores are computed once per checker; the strict threshold is the one its shipped calibration gives
(`--threshold` overrides it). `--write-calibration` (alone) stores each default-checker variant's conversation
point (`calibrate.conversation_point` on spc-sample:valid: at most 4% of its clean conversations rejected) in
synthetic_persona_chat/models/contradiction_calibration.json, where the faithfulness expert reads its threshold.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import SHARED_DATA  # noqa: E402
from synthetic_persona_chat.models.contradiction import (CALIBRATION_FILE, checker_key,  # noqa: E402
                                                         load_contradiction_checker)
from synthetic_persona_chat.generation.config import CriticConfig  # noqa: E402
from synthetic_persona_chat.generation.critic.calibrate import (auroc, calibrate_checker,  # noqa: E402
                                                                conversation_point, load_labels)
from synthetic_persona_chat.generation.critic.judge import clean_rows  # noqa: E402
from synthetic_persona_chat.generation.critic.calibrate_llm import with_denial  # noqa: E402
from synthetic_persona_chat.generation.critic.faithfulness import candidate_pairs, threshold  # noqa: E402
from synthetic_persona_chat.models.nli_features import negate  # noqa: E402

LABELS = SHARED_DATA / "faithfulness" / "public.jsonl"
PACKAGE_MODELS = Path(__file__).resolve().parents[1] / "synthetic_persona_chat" / "models"


def worst_pairs(checker, rows: list[dict]) -> list[tuple[float, str, str]]:
    """Per conversation, its highest-scoring (score, attribute, statement) pair (all pairs in one call)."""
    plans = [candidate_pairs(r, CriticConfig().max_nli_pairs)[0] for r in rows]
    flat = [p for pairs in plans for p in pairs]
    scores = checker.scores([a for a, _ in flat], [s for _, s in flat])
    out, pos = [], 0
    for pairs in plans:
        mine = scores[pos:pos + len(pairs)]
        pos += len(pairs)
        k = int(np.argmax(mine)) if len(mine) else -1
        out.append((float(mine[k]), *pairs[k]) if k >= 0 else (0.0, "", ""))
    return out


def write_conversation_points() -> None:
    """Each minilm-polarity variant's conversation-level point, added to its shipped calibration entry.

    Every variant the default checker may run as needs one: `precision: auto` takes bf16 on a CPU with native
    bf16, and a variant without the point falls back to the pair-level strict cut, which rejects more clean
    conversations than the Critic's 4%. bf16 is measured only where it is native (emulated bf16 rounds the same
    but is not what a user of that variant runs, and takes minutes)."""
    from synthetic_persona_chat.models.encoders.precision import native_bf16

    path = PACKAGE_MODELS / CALIBRATION_FILE
    current = json.loads(path.read_text())
    rows = clean_rows("spc-sample:valid")
    specs = [{"precision": "fp32"}, {"encoder": "onnx"}] + ([{"precision": "bf16"}] if native_bf16() else [])
    for spec in specs:
        checker = load_contradiction_checker({"backend": "minilm-polarity", **spec})
        key = checker_key(checker)
        if key in current:
            current[key]["conversation"] = point = conversation_point(checker, rows, source="spc-sample:valid")
            print(f"{key}: {point}")
        else:
            print(f"{key}: no shipped calibration to add the point to (skipped)")
    path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", default="test")
    ap.add_argument("--threshold", type=float)
    ap.add_argument("--write-calibration", action="store_true")
    ap.add_argument("--show", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.write_calibration:
        return write_conversation_points()
    checker = load_contradiction_checker("minilm-polarity")
    items = load_labels(LABELS)
    cal = calibrate_checker(checker, items)
    cut, source = (args.threshold, "--threshold") if args.threshold is not None else threshold(checker, None)
    print(f"checker {checker_key(checker)}, threshold {cut:.4f} ({source})")
    pair_scores = checker.scores([it.persona for it in items], [it.utterance for it in items])
    rows = clean_rows(f"spc-sample:{args.split}")
    clean = worst_pairs(checker, rows)
    rng = random.Random(args.seed)
    denied = worst_pairs(checker, [with_denial(r, rng) for r in rows])
    rejected = [(r["job_id"], w) for r, w in zip(rows, clean) if w[0] > cut]
    print(f"threshold {cut:.4f}  rejected {len(rejected)}/{len(rows)} ({len(rejected) / len(rows):.1%})  "
          f"denials caught {sum(w[0] > cut for w in denied)}/{len(rows)}  "
          f"AUROC all {auroc(np.array([it.label == 'contradiction' for it in items]), pair_scores):.4f}  "
          f"held-aside {cal['auroc']:.4f} (strict cut there {cal['strict']['threshold']:.4f}, "
          f"P {cal['strict']['precision']:.3f} R {cal['strict']['recall']:.3f})")
    if args.show:
        for cid, (score, attr, said) in rejected:
            print(f"  {cid} {score:.2f} {attr!r} <- {said[:120]!r}")
        for (score, attr, said), r in zip(denied, rows):
            if score <= cut:
                print(f"  missed denial {r['job_id']} {score:.2f} {attr!r} <- {said[:100]!r}")


if __name__ == "__main__":
    main()
