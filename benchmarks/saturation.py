"""Does a whole `spc generate` keep a batching server busy? Requests/s achieved against the ideal.

    python benchmarks/saturation.py [--pairs 500] [--candidates 3] [--iterations 3] [--latency-ms 200]
                                    [--concurrency 64,256] [--critic llm-only,full,llm-judge] [--keep]
                                    [--torch-threads N]

For each concurrency C, a fresh latency-injecting OpenAI-compatible server (tests/latency_server.py, its own
process) answers every request after `--latency-ms`; the real CLI (`spc generate`, its own process) runs
the Generator-Critic stage on `--pairs` real SPC persona pairs with `models.max_concurrency: C`.
The server's record of when each request was in flight gives:

- achieved_rps: requests answered / the window from the first request's start to the last one's end;
- ideal_rps: C / latency (a server that always holds C requests); efficiency = achieved / ideal;
- mean_in_flight (C when saturated) and idle_share (share of the window with nothing in flight).

`--critic full` is the default Critic (structural, faithfulness with the offline MiniLM checker, toxicity,
5 quality experts); `llm-only` keeps the structural and quality experts, which shows the pipeline's own
ceiling when the CPU-bound experts are not in the way; `llm-judge` is the default Critic with the
contradiction checker asked of the same server (`models.nli: llm-judge`), so every expert but the cheap
ones is an LLM request; `full-fp32` is `full` with the checker's encoder held at torch float32 (`full` takes
bf16 where the CPU has it natively: `models.nli` precision auto), `full-onnx` with MiniLM run by onnxruntime. Every run starts with an empty user cache
($SPC_CACHE_DIR), so the checker's vector cache only hits what this run embedded before (persona attributes
and their negations recur across a pair's candidates and the iterations; utterances are new); its hit rate
and encoder precision are read from the run's models.json. Each row also splits the run's CPU time: per stage
(generate = prompt rendering + parsing, critic = the filter experts, select = the quality experts' prompts
and votes) from the run summary, the HTTP client's event loop, the whole process (user + sys), and the test
server's process (its CPU competes for the same cores).
The machine's load average is recorded: on a shared machine the figures move with it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml  # noqa: E402

from benchmarks._report import SHARED_DATA, write_results  # noqa: E402
from synthetic_persona_chat.readers import read_spc_csv  # noqa: E402
from synthetic_persona_chat.sample_data import resolve_path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CRITICS = {"full": None, "full-fp32": None, "full-onnx": None, "llm-only": ["structural", "quality"], "llm-judge": None}
NLI = {"llm-judge": "llm-judge",  # the critic variant's contradiction checker (else the default)
       "full-fp32": {"backend": "minilm-polarity", "precision": "fp32"},
       "full-onnx": {"backend": "minilm-polarity", "encoder": "onnx"}}
COLUMNS = ["critic", "concurrency", "latency_ms", "requests", "achieved_rps", "ideal_rps", "efficiency",
           "mean_in_flight", "idle_share", "window_s", "wall_s", "cpu_s", "cpu_generate_s", "cpu_critic_s",
           "cpu_select_s", "cpu_client_s", "cpu_server_s", "nli_precision", "texts_embedded", "embed_hit_rate",
           "torch_threads", "load_avg"]


SHARED_SPC = SHARED_DATA / "spc"


def spc_pairs(n: int) -> list[dict]:
    """Real persona pairs: SPC's test then valid split (the full CSVs when present, else the packaged sample)."""
    out = []
    for split in ("test", "valid"):
        full = SHARED_SPC / f"Synthetic-Persona-Chat_{split}.csv"
        convs, _ = read_spc_csv(full if full.exists() else resolve_path(f"spc-sample:{split}"))
        for c in convs:
            if len(out) == n:
                return out
            out.append({"pair_id": f"{split}-{len(out):05d}", "user1_persona": c.user1_persona,
                        "user2_persona": c.user2_persona})
    return out


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.latency_server", "--latency", str(latency)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def server_stats(url: str) -> dict:
    with urllib.request.urlopen(url + "/stats", timeout=30) as resp:
        return json.loads(resp.read())


def run_one(args: argparse.Namespace, work: Path, pairs_file: Path, concurrency: int, critic: str) -> dict:
    server, url = start_server(args.latency_ms / 1000)
    try:
        config = {"seed": 0, "models": {"llm": {"backend": "openai", "model": "latency", "base_url": url},
                                        "max_concurrency": concurrency},
                  "generation": {"pairs_file": str(pairs_file), "candidates": args.candidates,
                                 "iterations": args.iterations, "batch_size": args.batch_size}}
        if CRITICS[critic]:
            config["critic"] = {"experts": CRITICS[critic]}
        if critic in NLI:
            config["models"]["nli"] = NLI[critic]
        path = work / f"config-{critic}-{concurrency}.yaml"
        path.write_text(yaml.safe_dump(config))
        run_dir = work / f"run-{critic}-{concurrency}"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        load = os.getloadavg()[0]
        start = time.perf_counter()
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
               "SPC_CACHE_DIR": str(work / f"cache-{critic}-{concurrency}")}  # nothing embedded before this run
        if args.torch_threads:
            env["OMP_NUM_THREADS"] = str(args.torch_threads)  # torch's intra-op threads in the spc process
        done = subprocess.run([sys.executable, "-m", "synthetic_persona_chat.cli", "generate", "--config", str(path),
                               "--run-dir", str(run_dir)], cwd=ROOT, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode:
            raise RuntimeError(f"spc generate failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        stats = server_stats(url)
    finally:
        server.kill()
        server.wait()
    summary = json.loads((run_dir / "conversations" / "_done.json").read_text())
    summary = summary.get("summary", summary)
    cpu = summary.get("cpu_seconds_per_stage") or {}
    vectors = (json.loads((run_dir / "models.json").read_text()).get("nli") or {}).get("embeddings") or {}
    ideal = concurrency / (args.latency_ms / 1000)
    achieved = stats["requests"] / stats["window_s"]
    return {"critic": critic, "concurrency": concurrency, "latency_ms": args.latency_ms,
            "requests": stats["requests"], "achieved_rps": round(achieved, 1), "ideal_rps": round(ideal, 1),
            "efficiency": round(achieved / ideal, 3), "mean_in_flight": stats["mean_in_flight"],
            "idle_share": stats["idle_share"], "window_s": stats["window_s"], "wall_s": round(wall, 1),
            "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
            "cpu_generate_s": cpu.get("generate"), "cpu_critic_s": cpu.get("critic"),
            "cpu_select_s": cpu.get("select"),
            "cpu_client_s": (summary.get("llm_client_this_run") or {}).get("client_cpu_s"),
            "cpu_server_s": stats.get("process_cpu_s"), "nli_precision": vectors.get("precision"),
            "texts_embedded": vectors.get("encoded"), "embed_hit_rate": vectors.get("cache_hit_rate"),
            "torch_threads": args.torch_threads or "default",
            "load_avg": round(load, 1), "winners": summary.get("winners"), "candidates": summary.get("candidates"),
            "llm_calls": summary.get("llm_calls_this_run"),
            "throttled": (summary.get("llm_client_this_run") or {}).get("throttled")}


def _stored_rows(name: str) -> list[dict]:
    from benchmarks._report import RESULTS

    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text())["rows"] if path.exists() else []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=500)
    ap.add_argument("--candidates", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--latency-ms", type=float, default=200)
    ap.add_argument("--concurrency", default="64,256")
    ap.add_argument("--critic", default="llm-only,full,llm-judge", help=f"comma list of {sorted(CRITICS)}")
    ap.add_argument("--name", default="saturation")
    ap.add_argument("--torch-threads", type=int, default=0,
                    help="OMP_NUM_THREADS for the spc process (0: torch's default, one per core)")
    ap.add_argument("--keep", action="store_true", help="keep the stored rows of other critic/concurrency settings")
    args = ap.parse_args()
    rows = _stored_rows(args.name) if args.keep else []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pairs_file = work / "pairs.jsonl"
        pairs_file.write_text("".join(json.dumps(p) + "\n" for p in spc_pairs(args.pairs)))
        for critic in args.critic.split(","):
            for c in (int(x) for x in args.concurrency.split(",")):
                rows = [r for r in rows if (r["critic"], r["concurrency"]) != (critic, c)]
                rows.append(run_one(args, work, pairs_file, c, critic))
                print(json.dumps(rows[-1]), flush=True)
    write_results(args.name, rows, COLUMNS, extra={
        "settings": {"pairs": args.pairs, "candidates": args.candidates, "iterations": args.iterations,
                     "batch_size": args.batch_size, "latency_ms": args.latency_ms,
                     "torch_threads": args.torch_threads or "default"}})


if __name__ == "__main__":
    main()
