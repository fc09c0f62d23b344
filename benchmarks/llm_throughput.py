"""LLM throughput per backend: single-stream vs batched vs concurrent, on the same prompts, in one run.

    python benchmarks/llm_throughput.py [--prompts 8] [--max-tokens 64] [--backends llama-cpp,transformers,openai]

Backends: llama.cpp on the bundled GGUF (its Python API runs one sequence at a time), transformers on the
same GGUF (batch 1 vs batch N with left padding), and the OpenAI-compatible client against llama-cpp-python's
server started here on 127.0.0.1 (concurrency 1 vs N). Ratios are against each backend's single-stream run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import write_results  # noqa: E402
from synthetic_persona_chat.models import GenerationParams, load_llm  # noqa: E402
from synthetic_persona_chat.models.bundled import smollm2_gguf  # noqa: E402

TOPICS = ["your dogs", "your job as a nurse", "hiking in the mountains", "your favourite band", "cooking pasta",
          "learning to surf", "your garden", "a trip to Japan", "playing chess", "your new house"]


def prompts(n: int) -> list[list[dict[str, str]]]:
    return [[{"role": "user", "content": f"Write a short, friendly chat message about {TOPICS[i % len(TOPICS)]}."}]
            for i in range(n)]


def timed(llm, chats, params) -> dict:
    start = time.perf_counter()
    out = llm.generate(chats, params)
    seconds = time.perf_counter() - start
    tokens = sum(c.completion_tokens for c in out)
    return {"seconds": round(seconds, 2), "completion_tokens": tokens, "tok_per_s": tokens / seconds}


def bench_llama_cpp(chats, params) -> list[dict]:
    llm = load_llm("llama-cpp:smollm2")
    llm.generate(chats[:1], params.replace(max_tokens=4))  # warm-up
    row = {"backend": "llama-cpp", "mode": "single-stream", **timed(llm, chats, params)}
    llm.close()
    return [row, {"backend": "llama-cpp", "mode": "batched", "note": "not supported by llama-cpp-python's API"}]


def bench_transformers(chats, params, batch: int) -> list[dict]:
    rows = []
    llm = load_llm({"backend": "transformers", "model": "smollm2", "batch_size": 1})
    llm.generate(chats[:1], params.replace(max_tokens=4))
    rows.append({"backend": "transformers", "mode": "single-stream", **timed(llm, chats, params)})
    llm.batch_size = batch
    rows.append({"backend": "transformers", "mode": f"batched x{batch}", **timed(llm, chats, params)})
    return rows


def bench_openai(chats, params, concurrency: int) -> list[dict]:
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tempfile.NamedTemporaryFile(suffix=".log", delete=False)
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf()),
                             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048"],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(url + "/models", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        load_llm({"backend": "openai", "model": "smollm2", "base_url": url}).generate(
            chats[:1], params.replace(max_tokens=4))  # warm-up: the server's first request is slow
        rows = []
        for conc, mode in ((1, "single-stream"), (concurrency, f"concurrent x{concurrency}")):
            llm = load_llm({"backend": "openai", "model": "smollm2", "base_url": url, "concurrency": conc})
            rows.append({"backend": "openai (llama.cpp server)", "mode": mode, **timed(llm, chats, params)})
        return rows
    finally:
        proc.kill()
        proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prompts", type=int, default=8)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--backends", default="llama-cpp,transformers,openai")
    args = ap.parse_args()
    chats = prompts(args.prompts)
    params = GenerationParams(max_tokens=args.max_tokens, temperature=0.7, seed=0)
    rows: list[dict] = []
    backends = args.backends.split(",")
    if "llama-cpp" in backends:
        rows += bench_llama_cpp(chats, params)
    if "transformers" in backends:
        rows += bench_transformers(chats, params, args.batch)
    if "openai" in backends:
        rows += bench_openai(chats, params, args.batch)
    for row in rows:
        base = next((r for r in rows if r["backend"] == row["backend"] and r["mode"] == "single-stream"), None)
        if base and "tok_per_s" in row:
            row["vs_single"] = round(row["tok_per_s"] / base["tok_per_s"], 2)
    write_results("llm_throughput", rows,
                  ["backend", "mode", "seconds", "completion_tokens", "tok_per_s", "vs_single", "note"],
                  {"prompts": args.prompts, "max_tokens": args.max_tokens})


if __name__ == "__main__":
    main()
