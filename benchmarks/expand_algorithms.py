"""Benchmark: the paper's expansion algorithm vs the compact one, side by side on the bundled SmolLM2 (CPU).

Both grow the same SPC seed attributes (packaged test sample) to the same target pool size, in one
process, alternating order per repeat; reported per algorithm: wall seconds, LLM calls and tokens,
attributes added, and seconds per added attribute, plus the paper/compact ratio (absolute seconds
depend on the machine's load; the ratio is the figure). Writes benchmarks/results/expand_algorithms.*.

    python benchmarks/expand_algorithms.py [--seeds 60] [--grow 12] [--repeats 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _report import SHARED_DATA, write_results

from synthetic_persona_chat.config import load_config
from synthetic_persona_chat.context import RunContext
from synthetic_persona_chat.models import CachedLLM
from synthetic_persona_chat.readers import read_spc_csv
from synthetic_persona_chat.rundir import RunDir
from synthetic_persona_chat.usergen.stages import run_expand

COMMON = ["models.llm=transformers:smollm2", "expand.max_tokens=48"]
SETTINGS = {"compact": ["expand.algorithm=compact", "expand.max_queries=6", "expand.rounds=3", "expand.num_new=4"],
            "paper": ["expand.algorithm=paper", "expand.max_queries=6", "expand.query_steps=3", "expand.rounds=6",
                      "expand.max_tokens=40"]}


def seeds(limit: int) -> list[str]:
    convs, _ = read_spc_csv(SHARED_DATA / "spc" / "Synthetic-Persona-Chat_test.csv")
    return list(dict.fromkeys(a for c in convs for a in c.user1_persona + c.user2_persona))[:limit]


def one(algorithm: str, texts: list[str], grow: int, llm, embedder) -> dict:
    cfg = load_config(overrides=COMMON + SETTINGS[algorithm] + [f"expand.max_attributes={len(texts) + grow}"])
    with tempfile.TemporaryDirectory() as tmp:
        ctx = RunContext(cfg, RunDir(Path(tmp) / "run").init(cfg))
        ctx.__dict__["embedder"] = embedder
        cached = ctx.__dict__["llm"] = CachedLLM(llm, ctx.run.llm_cache_path)  # a fresh cache: nothing shared
        calls, ptok, ctok = llm.usage.calls, llm.usage.prompt_tokens, llm.usage.completion_tokens
        start = time.perf_counter()
        summary = run_expand(ctx, seeds=texts)
        seconds = time.perf_counter() - start
        cached.close_cache()
    added = summary["attributes"] - summary["seed_attributes"]
    return {"algorithm": algorithm, "seconds": round(seconds, 1), "llm_calls": llm.usage.calls - calls,
            "prompt_tokens": llm.usage.prompt_tokens - ptok, "completion_tokens": llm.usage.completion_tokens - ctok,
            "queries": summary["queries"], "added": added,
            "s_per_added": round(seconds / added, 2) if added else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=60)
    ap.add_argument("--grow", type=int, default=12, help="target: this many attributes more than the seeds")
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    from synthetic_persona_chat.models import Embedder, load_llm

    texts, llm, embedder = seeds(args.seeds), load_llm("transformers:smollm2"), Embedder("minilm")
    rows = []
    for rep in range(args.repeats):
        order = ["compact", "paper"] if rep % 2 == 0 else ["paper", "compact"]
        rows += [{"repeat": rep, **one(a, texts, args.grow, llm, embedder)} for a in order]
    llm.close()
    tot = {a: sum(r["seconds"] for r in rows if r["algorithm"] == a) for a in SETTINGS}
    add = {a: sum(r["added"] for r in rows if r["algorithm"] == a) for a in SETTINGS}
    ratio = {"wall paper/compact": round(tot["paper"] / tot["compact"], 2),
             "s per added attribute paper/compact": round((tot["paper"] / max(add["paper"], 1)) /
                                                          (tot["compact"] / max(add["compact"], 1)), 2)}
    write_results("expand_algorithms", rows, ["repeat", "algorithm", "seconds", "llm_calls", "prompt_tokens",
                                              "completion_tokens", "queries", "added", "s_per_added"],
                  {"ratios": ratio, "seeds": len(texts), "grow": args.grow})


if __name__ == "__main__":
    main()
