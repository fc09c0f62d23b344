"""Generator–Critic stage cost: raw backend decode vs the pipeline, on the same prompts, in one process.

    python benchmarks/generation.py [--pairs 4] [--candidates 2] [--max-tokens 128]

1. The conversation stage's generator prompts for real SPC persona pairs are rendered once.
2. raw: the bare backend (bundled SmolLM2 through transformers, batched, no cache) answers them: decode tok/s.
3. pipeline: `run_conversations` on a fresh run directory, same model instance, same prompts and seeds
   (samples are a function of prompt and seed, so both write the same tokens): its generate step's
   effective tok/s, the overhead ratio (parse, checkpoint, cache, bookkeeping), the whole stage's
   conversations/min, and the critic's share of the stage time (faithfulness judge + quality experts).
4. raw again, to bracket the pipeline run against load changes on a shared machine; the ratio uses the
   faster raw run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import SHARED_DATA, write_results  # noqa: E402
from synthetic_persona_chat.config import load_config  # noqa: E402
from synthetic_persona_chat.context import RunContext  # noqa: E402
from synthetic_persona_chat.generation.config import generation_config  # noqa: E402
from synthetic_persona_chat.generation.iterate import run_conversations  # noqa: E402
from synthetic_persona_chat.generation.fewshot import load_seed_conversations, pool_entries  # noqa: E402
from synthetic_persona_chat.generation.plan import load_pairs, make_jobs  # noqa: E402
from synthetic_persona_chat.generation.stages import generator_chat, generator_params  # noqa: E402
from synthetic_persona_chat.models import load_llm  # noqa: E402
from synthetic_persona_chat.models.llm import CachedLLM  # noqa: E402
from synthetic_persona_chat.readers import read_spc_csv, write_records  # noqa: E402
from synthetic_persona_chat.rundir import RunDir  # noqa: E402

SPC = SHARED_DATA / "spc"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=4)
    ap.add_argument("--candidates", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=128)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="spc-bench-gen-"))
    convs, _ = read_spc_csv(SPC / "Synthetic-Persona-Chat_test.csv")
    pairs = [{"pair_id": f"p{i}", "user1_persona": c.user1_persona, "user2_persona": c.user2_persona,
              "similarity": 2} for i, c in enumerate(convs[:args.pairs])]
    write_records(tmp / "pairs.jsonl", pairs)
    data = {"seed": 0, "generation": {
        "seed_conversations": str(SPC / "Synthetic-Persona-Chat_valid.csv"), "max_seed_conversations": 50,
        "pairs_file": str(tmp / "pairs.jsonl"), "iterations": 1, "candidates": args.candidates, "fewshot": 2,
        "fewshot_max_turns": 6, "max_tokens": args.max_tokens, "min_turns": 6, "max_turns": 10, "batch_size": 2},
        "critic": {"max_nli_pairs": 4, "max_contradictions": 3, "min_turns": 2, "max_alternation_errors": 1}}
    config = load_config(None, base=data)
    gen = generation_config(config)
    seeds = pool_entries(load_seed_conversations(gen.seed_conversations, gen.max_seed_conversations),
                         gen.fewshot_max_turns)
    jobs = make_jobs(load_pairs(tmp / "pairs.jsonl"), 0, [], seeds, gen.fewshot, config.seed)
    chats = [generator_chat(j, gen) for j in jobs]
    params = generator_params(gen, config.seed)

    llm = load_llm("transformers:smollm2")
    llm.generate(chats[:1], params.replace(n=1, max_tokens=4))  # warm-up

    def raw() -> dict:
        start = time.perf_counter()
        out = llm.generate(chats, params)
        s = time.perf_counter() - start
        toks = sum(c.completion_tokens for c in out)
        return {"seconds": s, "completion_tokens": toks, "prompt_tokens": sum(c.prompt_tokens for c in out)}

    raw1 = raw()
    # Time spent inside the backend during the pipeline run: the rest of the generate step is the
    # pipeline's own overhead (prompt rendering, parsing, cache, checkpoints), whatever the machine load.
    inside = {"generate": 0.0, "critic": 0.0}
    backend_generate = llm._generate

    def timed_backend(chats_, params_):
        t0 = time.perf_counter()
        try:
            return backend_generate(chats_, params_)
        finally:
            role = "generate" if params_ == params else "critic"
            inside[role] += time.perf_counter() - t0

    llm._generate = timed_backend
    ctx = RunContext(config, RunDir(tmp / "run").init(config))
    ctx.__dict__["llm"] = CachedLLM(llm, ctx.run.llm_cache_path)
    start = time.perf_counter()
    summary = run_conversations(ctx)
    stage_s = time.perf_counter() - start
    llm._generate = backend_generate
    raw2 = raw()
    # On a shared machine the load swings between runs: compare with the less loaded raw run (the
    # pipeline cannot be faster than the backend it wraps), and report both.
    raw_s = min(raw1["seconds"], raw2["seconds"])
    gen_s = summary["seconds_per_stage"]["generate"]
    gen_tokens = summary["tokens_per_stage"]["generate"]["completion_tokens"]
    critic_s = summary["seconds_per_stage"]["critic"] + summary["seconds_per_stage"]["select"]
    rows = [
        {"measure": "raw backend decode", "seconds": raw_s, "completion_tokens": raw1["completion_tokens"],
         "tok_per_s": raw1["completion_tokens"] / raw_s},
        {"measure": "pipeline generate step", "seconds": gen_s, "completion_tokens": gen_tokens,
         "tok_per_s": gen_tokens / gen_s},
        {"measure": "pipeline whole stage (generate + critic + select + I/O)", "seconds": stage_s,
         "completion_tokens": gen_tokens, "tok_per_s": gen_tokens / stage_s},
    ]
    extra = {
        "setup": {"pairs": args.pairs, "candidates": args.candidates, "max_tokens": args.max_tokens,
                  "model": "transformers:smollm2 (bundled SmolLM2-135M-Instruct Q4_1, batched)", "nli": "llm-judge (same model)",
                  "toxicity": "profanity-check", "qualities": 5},
        "same_tokens_raw_vs_pipeline": raw1["completion_tokens"] == gen_tokens == raw2["completion_tokens"],
        "raw_seconds_before_after": [round(raw1["seconds"], 2), round(raw2["seconds"], 2)],
        "generate_overhead_ratio_vs_raw_run": round(gen_s / raw_s - 1, 4),
        "backend_seconds_inside_pipeline": round(inside["generate"], 2),
        "backend_seconds_inside_critic": round(inside["critic"], 2),
        # the pipeline's own cost on top of the backend's decode in the generate step (load-independent)
        "pipeline_overhead_ratio": round(gen_s / inside["generate"] - 1, 4),
        "stage_overhead_excluding_critic": round((stage_s - critic_s) / raw_s - 1, 4),
        "conversations_per_min": round(summary["winners"] / (stage_s / 60), 3),
        "candidates_per_min": round(summary["candidates"] / (stage_s / 60), 3),
        "critic_cost_share": round(critic_s / stage_s, 4),
        "critic_llm_calls": summary["tokens_per_stage"]["critic"].get("calls", 0)
        + summary["tokens_per_stage"]["select"].get("calls", 0),
        "winners": summary["winners"], "pass_rates": summary["pass_rates"],
    }
    write_results("generation", rows, ["measure", "seconds", "completion_tokens", "tok_per_s"], extra)
    llm.close()


if __name__ == "__main__":
    main()
