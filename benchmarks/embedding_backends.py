"""CPU embedding backends side by side: torch (sentence-transformers) vs onnxruntime fp32 vs onnxruntime int8
vs OpenVINO (the fp32 export; it computes in bf16 where the CPU has native bf16).

    python benchmarks/embedding_backends.py [--conversations 250] [--sentences 2000] [--rounds 2]
        [--max-seq-length 256] [--backends torch,onnx,onnx-int8,openvino] [--model PATH --name SUFFIX]

`--model` takes any SentenceTransformer folder (e.g. a fine-tuned NUP ranker, `spc eval nup`'s OUT/models/*)
instead of the bundled all-MiniLM-L6-v2; results then go to embedding_backends_<SUFFIX>.{json,md}.
`--sentences 0` skips the throughput part.

All on one model (default the bundled all-MiniLM-L6-v2), in one process, on real SPC data from ../shared/data/spc:

1. Throughput: `--sentences` utterances drawn (seeded) from the SPC test conversations, encoded by a
   fresh `Embedder` per backend (no vector cache), `--rounds` interleaved rounds, best round kept (the
   box is shared: the best round is the one least disturbed). Also the ONNX backends fed in arrival order
   instead of length-sorted batches, to measure what sorting by length buys. (sentence-transformers sorts
   its own input by length, so for torch the order we hand it changes nothing.)
2. NUP zero-shot: hits@1/20 and MRR of the zero-shot bi-encoder on the SPC test split — a seeded subset of
   `--conversations` conversations (`eval.data.subsample`, seed 0; 0 = the full split, 967 conversations /
   25.6k examples) with the `eval_nup` defaults (persona + 3 previous turns, max_seq_length 256) — per
   backend, the paired difference against torch (bootstrap over conversations), the time to embed every
   unique text, and the cosine agreement of each backend's embeddings with torch's over those texts.
3. Export cost: each ONNX export is built into a fresh cache dir here, so its build time is measured too.

Writes benchmarks/results/embedding_backends.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import SHARED_DATA, write_results  # noqa: E402
from synthetic_persona_chat.eval import data as D  # noqa: E402
from synthetic_persona_chat.eval import stats as S  # noqa: E402
from synthetic_persona_chat.eval.crosstable import NUPRunConfig  # noqa: E402
from synthetic_persona_chat.eval.metrics import gold_ranks  # noqa: E402
from synthetic_persona_chat.eval.rankers import BiEncoderRanker  # noqa: E402
from synthetic_persona_chat.models import Embedder  # noqa: E402
from synthetic_persona_chat.readers import read_spc_csv  # noqa: E402

SPC = SHARED_DATA / "spc"
TOLERANCE = 0.005  # the bar: a faster backend is acceptable when hits@1 stays within this of torch


def utterances(conversations: list[Any], n: int, seed: int) -> list[str]:
    texts = sorted({t.text for c in conversations for t in c.turns if t.text.strip()})
    random.Random(seed).shuffle(texts)
    return texts[:n]


def throughput(model: str, backends: list[str], texts: list[str], rounds: int, max_seq_length: int
               ) -> list[dict[str, Any]]:
    if not texts:
        return []
    encoders = {b: Embedder(model, backend=b, max_seq_length=max_seq_length) for b in backends}
    for enc in encoders.values():
        enc.encode(texts[:64])  # warm-up: session / kernels initialised outside the timing
    cases = [(b, True) for b in backends] + [(b, False) for b in backends if b != "torch"]
    best: dict[tuple[str, bool], float] = {}
    for _ in range(rounds):
        for backend, ordered in cases:
            enc = encoders[backend]
            start = time.perf_counter()
            if ordered:
                enc.encode_uncached(sorted(texts, key=len))  # as Embedder.encode hands them over
            else:
                enc.encoder.encode(texts, batch_size=enc.batch_size, sort_by_length=False)
            sec = time.perf_counter() - start
            best[(backend, ordered)] = min(sec, best.get((backend, ordered), float("inf")))
    torch_rate = len(texts) / best[("torch", True)] if ("torch", True) in best else None
    rows = []
    for (backend, ordered), sec in best.items():
        rate = len(texts) / sec
        rows.append({"task": "throughput", "backend": backend,
                     "batches": "length-sorted" if ordered else "arrival order", "texts": len(texts),
                     "seconds": round(sec, 2), "texts_per_s": round(rate, 1),
                     "x_torch": round(rate / torch_rate, 2) if torch_rate else None})
    return rows


def nup(model: str, backends: list[str], rows: list[dict[str, Any]], cfg: NUPRunConfig
        ) -> tuple[list[dict[str, Any]], dict]:
    contexts = [D.context_text(r, cfg.max_history) for r in rows]
    candidates = [r["candidates"] for r in rows]
    labels = [r["label"] for r in rows]
    groups = [r["conversation_id"] for r in rows]
    unique = list(dict.fromkeys(contexts + [c for row in candidates for c in row]))
    ranks, top1, vectors, out, exports = {}, {}, {}, [], {}
    for backend in backends:
        start = time.perf_counter()
        ranker = BiEncoderRanker.from_model(model, backend=backend, max_seq_length=cfg.max_seq_length)
        exports[backend] = round(time.perf_counter() - start, 2)  # load (+ ONNX export: the cache dir is fresh)
        start = time.perf_counter()
        scores = ranker.scores(contexts, candidates)
        sec = time.perf_counter() - start
        ranks[backend] = gold_ranks(scores, labels)
        top1[backend] = np.argmax(scores, axis=1)  # the candidate each backend puts first, right or wrong
        vectors[backend] = ranker.embed(unique)  # from the ranker's memo: nothing is encoded again
        info = ranker.describe()
        if info.get("fallback"):
            raise SystemExit(f"backend {backend} fell back to torch: {info['fallback']}")
        out.append({"task": "nup", "backend": backend, "precision": info.get("precision", "fp32"),
                    "examples": len(rows), "texts": len(unique),
                    "seconds": round(sec, 1), "texts_per_s": round(len(unique) / sec, 1),
                    "hits@1/20": round(float((ranks[backend] <= 1).mean()), 4),
                    "mrr": round(float((1.0 / ranks[backend]).mean()), 4), "load_s": exports[backend]})
    base = out[0]
    for row in out:
        b = row["backend"]
        row["x_torch"] = round(row["texts_per_s"] / base["texts_per_s"], 2)
        if b == base["backend"]:
            continue
        test = S.paired_test(ranks[b] <= 1, ranks[base["backend"]] <= 1, groups, seed=0)
        cos = (vectors[b] * vectors[base["backend"]]).sum(axis=1)
        row.update({"d_hits@1": round(test["diff"], 4), "d_hits@1_ci": [round(x, 4) for x in test["ci"]],
                    "within_0.005": abs(test["diff"]) <= TOLERANCE,
                    "same_top1": round(float((top1[b] == top1[base["backend"]]).mean()), 4),
                    "cos_mean": round(float(cos.mean()), 5), "cos_min": round(float(cos.min()), 4),
                    "cos_p01": round(float(np.quantile(cos, 0.01)), 4)})
    return out, exports


def _version(dist: str) -> str | None:
    import importlib.metadata as md

    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--conversations", type=int, default=250, help="seeded subset of SPC test; 0 = all 967")
    ap.add_argument("--sentences", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--max-seq-length", type=int, default=NUPRunConfig.max_seq_length)
    ap.add_argument("--backends", default="torch,onnx,onnx-int8,openvino")
    ap.add_argument("--model", default="minilm", help="bundled alias or a SentenceTransformer folder / id")
    ap.add_argument("--name", default="", help="results file suffix (use one with --model)")
    args = ap.parse_args()
    backends = args.backends.split(",")
    if backends[0] != "torch":
        raise SystemExit("the first backend is the reference and must be torch")

    os.environ["SPC_CACHE_DIR"] = tempfile.mkdtemp(prefix="spc-onnx-bench-")  # exports built (and timed) here
    test, _ = read_spc_csv(SPC / "Synthetic-Persona-Chat_test.csv", split="test")
    cfg = NUPRunConfig(seed=0, max_seq_length=args.max_seq_length)
    sample = D.subsample(D.Dataset("spc-test", test), args.conversations or None, cfg.seed)
    rows = D.examples(sample, cfg.nup_config())
    started = time.perf_counter()
    nup_rows, load_seconds = nup(args.model, backends, rows, cfg)
    texts = utterances(test, args.sentences, 0)
    tp_rows = throughput(args.model, backends, texts, args.rounds, args.max_seq_length)
    import onnxruntime
    import torch

    verdict = {r["backend"]: r.get("within_0.005") for r in nup_rows if r["backend"] != "torch"}
    write_results("embedding_backends" + (f"_{args.name}" if args.name else ""), nup_rows + tp_rows,
                  ["task", "backend", "precision", "batches", "examples", "texts", "seconds", "texts_per_s",
                   "x_torch", "hits@1/20", "d_hits@1", "d_hits@1_ci", "within_0.005", "same_top1", "mrr", "cos_mean",
                   "cos_min", "cos_p01"],
                  extra={"model": args.model,
                         "nup_data": f"SPC test, {len(sample)} of {len(test)} conversations (seeded subsample, "
                                     f"seed 0), {len(rows)} examples, 20 candidates, max_history {cfg.max_history}, "
                                     f"max_seq_length {cfg.max_seq_length}",
                         "load_seconds_incl_export": load_seconds, "hits@1_within_0.005_of_torch": verdict,
                         "threads": {"torch": torch.get_num_threads(), "onnxruntime": len(os.sched_getaffinity(0))},
                         "versions": {"torch": torch.__version__, "onnxruntime": onnxruntime.__version__,
                                      "openvino": _version("openvino")},
                         "load_avg_1min_at_end": os.getloadavg()[0],
                         "total_seconds": round(time.perf_counter() - started, 1)})
    print(json.dumps(verdict))


if __name__ == "__main__":
    main()
