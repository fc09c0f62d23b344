"""Benchmark: clustering time for 1k/10k/50k attributes and pairing time for 1k/5k/10k users (CPU).

Synthetic inputs are random unit vectors drawn around topic centres (like persona
attributes: many near-paraphrases, many topics); `--real` adds the 1k point on MiniLM
embeddings of real SPC persona attributes. Targets: 50k clustered and 10k paired, each
< 60 s on 2 cores. Writes benchmarks/results/user_generation.json and .md.

    python benchmarks/user_generation.py [--real] [--sizes 1000 10000 50000] [--users 1000 5000 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np

from synthetic_persona_chat.usergen.clustering import cluster_embeddings
from synthetic_persona_chat.usergen.pairing import greedy_pairs, shared_category_counts

RESULTS = Path(__file__).resolve().parent / "results"


def topic_vectors(n: int, topics: int, dim: int = 384, noise: float = 0.9, seed: int = 0,
                  assign: np.ndarray | None = None) -> np.ndarray:
    """Unit vectors around `topics` random centres (`assign`: each vector's topic; random when None)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((topics, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    assign = rng.integers(0, topics, n) if assign is None else assign
    x = centres[assign] + noise * rng.standard_normal((n, dim)).astype(np.float32) / np.sqrt(dim)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def measure(fn):
    tracemalloc.start()
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, round(seconds, 2), round(peak / 2**20, 1)


def bench_clustering(n: int, vectors: np.ndarray | None = None, label: str = "synthetic") -> dict:
    x = vectors if vectors is not None else topic_vectors(n, topics=max(10, n // 15))
    labels, seconds, peak = measure(lambda: cluster_embeddings(x, 0.6))
    return {"task": "clustering", "input": label, "n": len(x), "seconds": seconds, "peak_mb": peak,
            "clusters": int(labels.max()) + 1}


def bench_pairing(users: int, categories: int = 550, per_user: int = 5, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    # category popularity is skewed like real clusters (Zipf-like), categories distinct within a profile
    weights = 1.0 / np.arange(1, categories + 1) ** 0.8
    weights /= weights.sum()
    cats = np.stack([rng.choice(categories, per_user, replace=False, p=weights) for _ in range(users)]).ravel()
    user_of = np.repeat(np.arange(users), per_user)
    vecs = topic_vectors(len(cats), topics=categories, seed=seed + 1, assign=cats)  # same-category attributes are alike

    def run():
        counts = shared_category_counts(user_of, cats, vecs, users, 0.3, min_count=2)
        return counts, greedy_pairs(counts, 2, 4, None, seed)

    (counts, pairs), seconds, peak = measure(run)
    deg = np.bincount([u for a, b, _ in pairs for u in (a, b)], minlength=users)
    return {"task": "pairing", "input": "synthetic", "n": users, "seconds": seconds, "peak_mb": peak,
            "candidate_pairs": int((counts.count >= 2).sum()), "pairs": len(pairs),
            "unpaired": int((deg == 0).sum())}


def real_vectors(limit: int) -> np.ndarray:
    from synthetic_persona_chat.models import Embedder
    from synthetic_persona_chat.readers import read_spc_csv

    data = Path(os.environ.get("SPC_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")) / "spc"
    texts: list[str] = []
    for name in ("Synthetic-Persona-Chat_valid.csv", "Synthetic-Persona-Chat_test.csv"):
        convs, _ = read_spc_csv(data / name)
        texts.extend(a for c in convs for a in c.user1_persona + c.user2_persona)
    texts = list(dict.fromkeys(texts))[:limit]
    return Embedder("minilm").encode(texts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 50000])
    ap.add_argument("--users", type=int, nargs="*", default=[1000, 5000, 10000])
    ap.add_argument("--real", action="store_true", help="add the 1k point on MiniLM embeddings of SPC personas")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    rows = []
    if args.real:
        rows.append(bench_clustering(0, real_vectors(1000), "MiniLM, SPC personas"))
        print(rows[-1])
    for n in args.sizes:
        rows.append(bench_clustering(n))
        print(rows[-1])
    for u in args.users:
        rows.append(bench_pairing(u))
        print(rows[-1])
    env = {"cpus": os.cpu_count(), "platform": platform.platform(), "load_avg": os.getloadavg(),
           "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
           "date": time.strftime("%Y-%m-%d %H:%M")}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "user_generation.json").write_text(json.dumps({"env": env, "results": rows}, indent=2))
    lines = ["# User generation benchmark", "",
             f"{env['cpus']} CPUs, load average {tuple(round(x, 2) for x in env['load_avg'])}, "
             f"process max RSS {env['max_rss_mb']} MiB; target: 50k clustered and 10k paired each < 60 s.", "",
             "| task | input | n | seconds | peak MiB (tracemalloc) | result |", "|---|---|---:|---:|---:|---|"]
    for r in rows:
        result = (f"{r['clusters']} clusters" if r["task"] == "clustering" else
                  f"{r['pairs']} pairs of {r['candidate_pairs']} candidates, {r['unpaired']} unpaired")
        lines.append(f"| {r['task']} | {r['input']} | {r['n']} | {r['seconds']} | {r['peak_mb']} | {result} |")
    (args.out / "user_generation.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
