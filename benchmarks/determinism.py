"""Same config and seed, same bytes? Count identical runs per comparison, side by side, on this machine.

    python benchmarks/determinism.py [--pairs 8] [--loops 10] [--repeats 3] [--kills 5] [--no-ray]
                                     [--code DIR] [--name determinism]

Against the latency server (benchmarks/latency_server.py: answers depend only on prompt and seed), every run of the
conversation stage is compared with one reference run (`models.max_concurrency` 64, local engine, not
interrupted), each in its own folder with its own empty user cache (benchmarks/determinism_runs.py says what
is compared and why). Comparisons:

- `uninterrupted c64`: the reference's conditions again (`--repeats` runs);
- `c1`, `c8`: other concurrency caps (`--repeats` each);
- `ray`: the Ray Data engine (`--repeats`; skipped with --no-ray or without the [ray] extra);
- `killed c64`: `--loops` runs, each killed with -9 at `--kills` random moments (uniform within the
  reference's wall time) and resumed to the end.

A run is identical when candidates.parquet and conversations.parquet are byte-identical and its export equals
the reference's (Parquet bytes; manifest without its build time). `--code DIR` runs `spc generate` from another
checkout of the package (e.g. an older commit, to count how often the old code differed). Wall times are
noisy on a shared machine; only the counts matter here.

    python benchmarks/determinism.py --encoder-cost [--texts 2000]

measures instead what the fix costs: MiniLM over real SPC utterances, batches as sentence-transformers makes
them (sorted, padded to the longest) against same-length batches (`models/stable_batches.py`), interleaved
rounds, CPU seconds of this process, reported as a ratio.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import write_results  # noqa: E402
from benchmarks import determinism_runs as D  # noqa: E402
from benchmarks.latency_server import LatencyServer  # noqa: E402


def compare(reference, got) -> list[str]:
    return D.differences(reference, got) + D.export_differences(reference, got)


def encoder_cost(texts: int, rounds: int = 3) -> None:
    """CPU seconds per pass, padded batches vs same-length batches, alternating so load drifts hit both."""
    from benchmarks._report import SHARED_DATA
    from synthetic_persona_chat.models import Embedder
    from synthetic_persona_chat.readers import read_spc_csv

    convs, _ = read_spc_csv(SHARED_DATA / "spc" / "Synthetic-Persona-Chat_valid.csv")
    sample = list(dict.fromkeys(t.text for c in convs for t in c.turns))[:texts]
    emb = Embedder("minilm")
    st = emb.sentence_transformer
    ways = {"padded (sentence-transformers batches)": lambda: st.encode(sample, batch_size=emb.batch_size,
                                                                        normalize_embeddings=True),
            "same-length (stable_batches)": lambda: emb.encode_uncached(sample)}
    cpu: dict[str, list[float]] = {k: [] for k in ways}
    for _ in range(rounds):
        for name, fn in ways.items():
            start = time.process_time()
            fn()
            cpu[name].append(time.process_time() - start)
    best = {k: min(v) for k, v in cpu.items()}
    base = best["padded (sentence-transformers batches)"]
    rows = [{"batching": k, "texts": len(sample), "best CPU s": round(v, 2), "ratio": round(v / base, 3)}
            for k, v in best.items()]
    write_results("determinism_encoder_cost", rows, ["batching", "texts", "best CPU s", "ratio"],
                  {"rounds": rounds, "all CPU s": cpu})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encoder-cost", action="store_true", help="measure the fix's encoding cost instead")
    ap.add_argument("--texts", type=int, default=2000)
    ap.add_argument("--pairs", type=int, default=8)
    ap.add_argument("--loops", type=int, default=10, help="killed-and-resumed runs (concurrency 64)")
    ap.add_argument("--repeats", type=int, default=3, help="runs per other comparison")
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--latency", type=float, default=0.02)
    ap.add_argument("--seed", type=int, default=21, help="seeds the kill moments")
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--only", nargs="*", help="run only these comparisons (labels as in the table, e.g. ray)")
    ap.add_argument("--code", help="run spc generate from this checkout (PYTHONPATH) instead of the installed one")
    ap.add_argument("--name", default="determinism")
    args = ap.parse_args()
    if args.encoder_cost:
        encoder_cost(args.texts)
        return
    if args.code:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(Path(args.code).resolve()), os.environ.get("PYTHONPATH", "")])
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="spc-determinism-"))
    plan = [("uninterrupted c64", 64, "local", args.repeats), ("c1", 1, "local", args.repeats),
            ("c8", 8, "local", args.repeats), ("killed c64", 64, "kill", args.loops)]
    if not args.no_ray:
        try:
            import ray  # noqa: F401
            plan.insert(3, ("ray", 64, "ray", args.repeats))
        except ImportError:
            print("ray not installed: the ray comparison is skipped")
    plan = [p for p in plan if not args.only or p[0] in args.only]
    rows = []
    with LatencyServer(latency=args.latency) as server:
        ref_folder = root / "reference"
        reference, ref_wall = D.wall(D.run, D.write_config(ref_folder, server.url, args.pairs, 64), ref_folder)
        print(f"reference: {ref_wall:.0f} s")
        for label, concurrency, mode, count in [p for p in plan if p[3] > 0]:
            identical, notes, walls = 0, [], []
            for i in range(count):
                folder = root / f"{label.replace(' ', '-')}-{i}"
                config = D.write_config(folder, server.url, args.pairs, concurrency)
                started = time.perf_counter()
                if mode == "kill":
                    got, moments = D.run_killed(config, folder, args.kills, rng, horizon=ref_wall)
                else:
                    got, moments = D.run(config, folder, engine=mode), []
                walls.append(time.perf_counter() - started)
                diffs = compare(reference, got)
                identical += not diffs
                if diffs:
                    notes.append({"run": i, "moments": moments, "differences": diffs})
                print(f"{label} {i + 1}/{count}: {'identical' if not diffs else diffs} {moments}", flush=True)
            rows.append({"comparison": label, "identical": identical, "runs": count,
                         "identical/runs": f"{identical}/{count}", "mean wall s": round(sum(walls) / count, 1),
                         "differences": notes})
    write_results(args.name, rows, ["comparison", "identical/runs", "mean wall s"],
                  {"pairs": args.pairs, "kills": args.kills, "code": args.code or "installed",
                   "reference wall s": round(ref_wall, 1), "folder": str(root)})


if __name__ == "__main__":
    main()
