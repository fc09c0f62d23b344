"""Evaluation suite cost: NUP scoring of 1k contexts x 20 candidates, and fine-tuning throughput.

    python benchmarks/eval.py [--contexts 1000] [--train-examples 256] [--max-seq-length 128]

1. NUP rows from real SPC test conversations (`builder.nup.nup_examples`), the first `--contexts` of them.
2. Scoring with the zero-shot bi-encoder (bundled MiniLM):
   - cold: every unique text encoded, written to a fresh on-disk embedding cache;
   - cached: a new ranker (empty memory) over the warm on-disk cache — the target (< 10 s on CPU);
   - in-memory: the same ranker again (its memo holds every vector).
   TF-IDF scoring of the same rows for comparison.
3. Fine-tuning (MultipleNegativesRankingLoss, 1 epoch) on `--train-examples` SPC validation pairs: examples/s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import SHARED_DATA, write_results  # noqa: E402
from synthetic_persona_chat.eval import data as D  # noqa: E402
from synthetic_persona_chat.eval.crosstable import evaluate  # noqa: E402
from synthetic_persona_chat.eval.finetune import FineTuneConfig, finetune  # noqa: E402
from synthetic_persona_chat.eval.rankers import BiEncoderRanker, TfidfRanker  # noqa: E402
from synthetic_persona_chat.readers import read_spc_csv  # noqa: E402

SPC = SHARED_DATA / "spc"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--contexts", type=int, default=1000)
    ap.add_argument("--train-examples", type=int, default=256)
    ap.add_argument("--max-seq-length", type=int, default=128)
    args = ap.parse_args()

    test, _ = read_spc_csv(SPC / "Synthetic-Persona-Chat_test.csv", split="test")
    valid, _ = read_spc_csv(SPC / "Synthetic-Persona-Chat_valid.csv", split="validation")
    cfg = D.NUPConfig(seed=0)
    rows = D.examples(D.Dataset("spc-test", test), cfg)[: args.contexts]
    unique = len({D.context_text(r) for r in rows} | {c for r in rows for c in r["candidates"]})
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "embeddings.sqlite"

        def timed(label: str, ranker) -> None:
            start = time.perf_counter()
            m = evaluate(ranker, rows, cfg.max_history)
            sec = time.perf_counter() - start
            results.append({"task": "score", "case": label, "contexts": len(rows), "candidates": 20,
                            "unique_texts": unique, "seconds": round(sec, 2),
                            "contexts_per_s": round(len(rows) / sec, 1), "hits@1/20": round(m["hits@1/20"], 3)})

        timed("zero-shot, cold (encode all)", BiEncoderRanker.from_model("minilm", cache_path=cache,
                                                                          max_seq_length=args.max_seq_length))
        warm = BiEncoderRanker.from_model("minilm", cache_path=cache, max_seq_length=args.max_seq_length)
        timed("zero-shot, cached embeddings (disk)", warm)
        timed("zero-shot, cached embeddings (memory)", warm)
        timed("tf-idf", TfidfRanker())

        train = D.examples(D.Dataset("spc-valid", valid), cfg)[: args.train_examples]
        ft = FineTuneConfig(max_seq_length=args.max_seq_length, batch_size=32, epochs=1.0)
        fit = finetune([D.context_text(r) for r in train], [r["candidates"][r["label"]] for r in train],
                       Path(tmp) / "model", ft)
        results.append({"task": "fine-tune", "case": f"MNRL 1 epoch, batch {ft.batch_size}, "
                        f"max_seq_length {ft.max_seq_length}", "contexts": len(train),
                        "seconds": round(fit.seconds, 2), "examples_per_s": round(fit.examples_per_second, 2)})
    import torch

    write_results("eval", results, ["task", "case", "contexts", "unique_texts", "seconds", "contexts_per_s",
                                    "examples_per_s", "hits@1/20"],
                  extra={"target": "score 1k contexts x 20 candidates with cached embeddings in < 10 s on CPU",
                         "torch_threads": torch.get_num_threads()})


if __name__ == "__main__":
    main()
