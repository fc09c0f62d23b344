"""What committing each LLM answer as it arrives costs, against committing a whole call at once.

    python benchmarks/answer_cache.py [--prompts 1024] [--concurrency 64,256] [--latency-ms 50,200] [--repeats 2]

The answer cache (models/llm/cache.py) stores each prompt's answer in its own SQLite transaction as soon as
the `openai:` backend has it, so a run killed mid-call re-pays only the requests in flight (issue #27). The
alternative it replaced stored the call's answers in one transaction when the call returned. Both are run
side by side here on one `generate` call of `--prompts` prompts against a latency-injecting server on
127.0.0.1 (tests/latency_server.py, in this process), with a fresh cache file each time and the modes
alternated, so the ratio holds under a shared machine's load even where absolute figures move.
Reported per mode: wall seconds of the call, requests/s, and this process's CPU seconds (the client, the
server and the commits together, the same server for both modes).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import write_results  # noqa: E402
from synthetic_persona_chat.models.llm import CachedLLM, GenerationParams, load_llm  # noqa: E402
from benchmarks.latency_server import LatencyServer  # noqa: E402


class PerCallCache(CachedLLM):
    """The previous behaviour: the call's answers stored together once it returns (the baseline)."""

    def generate(self, chats, params=None, on_answer=None):
        params = params or GenerationParams()
        answers = self.inner.generate(chats, params)
        self._store({self._key(c, params): a for c, a in zip(chats, answers)})
        return answers


def run(mode: str, url: str, prompts: int, concurrency: int, seed: int) -> dict:
    chats = [[{"role": "user", "content": f"Statement A: run {seed} prompt {i}."}] for i in range(prompts)]
    with tempfile.TemporaryDirectory() as tmp:
        inner = load_llm({"backend": "openai", "model": "m", "base_url": url, "concurrency": concurrency})
        cls = CachedLLM if mode == "per-answer" else PerCallCache
        llm = cls(inner, Path(tmp) / "llm.sqlite")
        cpu, start = time.process_time(), time.perf_counter()
        llm.generate(chats, GenerationParams(max_tokens=8, seed=seed))
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu
        stored = len(llm)
        llm.close()
    assert stored == prompts, (mode, stored)
    return {"wall_s": wall, "cpu_s": cpu}


def compare(url: str, prompts: int, cap: int, repeats: int, latency: float) -> list[dict]:
    """Both modes `repeats` times, alternating which goes first; a row per mode with medians."""
    found: dict[str, list[dict]] = {"per-call": [], "per-answer": []}
    for r in range(repeats):
        for mode in (("per-call", "per-answer") if r % 2 == 0 else ("per-answer", "per-call")):
            found[mode].append(run(mode, url, prompts, cap, seed=int(1000 * cap + 10 * r + latency)))
    base = statistics.median(x["wall_s"] for x in found["per-call"])
    rows = []
    for mode, runs in found.items():
        wall = statistics.median(x["wall_s"] for x in runs)
        rows.append({"latency_ms": latency, "concurrency": cap, "mode": mode, "prompts": prompts,
                     "wall_s": round(wall, 3), "rps": round(prompts / wall, 1),
                     "cpu_s": round(statistics.median(x["cpu_s"] for x in runs), 3),
                     "wall_vs_per_call": round(wall / base, 3)})
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=1024)
    ap.add_argument("--concurrency", default="64,256")
    ap.add_argument("--latency-ms", default="50,200", help="comma list: the server's seconds per request x 1000")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    rows = []
    for latency in (float(x) for x in args.latency_ms.split(",")):
        with LatencyServer(latency=latency / 1000) as server:
            for cap in (int(c) for c in args.concurrency.split(",")):
                rows += compare(server.url, args.prompts, cap, args.repeats, latency)
    write_results("answer_cache", rows, ["latency_ms", "concurrency", "mode", "prompts", "wall_s", "rps", "cpu_s",
                                         "wall_vs_per_call"],
                  extra={"repeats": args.repeats})


if __name__ == "__main__":
    main()
