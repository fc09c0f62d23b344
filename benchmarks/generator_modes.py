"""Generator modes side by side on the bundled model: is the candidate well-formed, faithful, on persona?

    python benchmarks/generator_modes.py [--pairs 8] [--candidates 2] [--variants "turns;one-call;..."]

Every variant runs the conversation stage on the same SPC test persona pairs (the packaged sample), the
same seed pool (the packaged SPC valid sample, cleaned by the structural expert) and the same Critic
filters (structural, faithfulness, toxicity, expression; no retries, a seeded draw as the selector so the
figures are the Generator's, not the quality judges'), each in a fresh run directory with one shared
model instance, one after another in one process. Per variant it prints:

- structural pass rate: candidates that pass the structural expert, over all candidates (a parse
  error counts as a failure);
- Critic pass rate: candidates that pass every filter;
- persona coverage: the eval's measure (`eval/quality.py`) over every parsed candidate;
- mean turns; winners and winners per minute of stage wall time (a ratio between variants is what
  means something on a shared machine; the load is printed);
- tics per candidate (`count_tics`): lines opening with a greeting after the second, lines opening with the
  same word as their speaker's previous line, a speaker naming themselves twice in a line ("I'm Jane. I'm
  John"), a line repeating its own 3-word phrase ("How about you? How about you."); `constrained, tic
  rules` turns on the generator section's rules that forbid them (line_ngram, greeting_turns, fresh_openers;
  off by default), for the before/after.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import write_results  # noqa: E402
from eval.quality import persona_coverage  # noqa: E402
from synthetic_persona_chat.config import load_config  # noqa: E402
from synthetic_persona_chat.context import RunContext  # noqa: E402
from synthetic_persona_chat.generation.iterate import run_conversations  # noqa: E402
from synthetic_persona_chat.models import load_llm  # noqa: E402
from synthetic_persona_chat.models.llm import CachedLLM  # noqa: E402
from synthetic_persona_chat.readers import read_records, write_records  # noqa: E402
from synthetic_persona_chat.readers.sources import open_source  # noqa: E402
from synthetic_persona_chat.records import Conversation  # noqa: E402
from synthetic_persona_chat.rundir import RunDir  # noqa: E402

# name -> (generation overrides, generator overrides)
VARIANTS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "constrained": ({}, {"mode": "constrained"}),
    "constrained, no persona bias": ({}, {"mode": "constrained", "persona_bias": 0.0}),
    "constrained, persona bias 2": ({}, {"mode": "constrained", "persona_bias": 2.0}),
    "constrained, tic rules": ({}, {"mode": "constrained", "line_ngram": 3, "greeting_turns": 2,
                                    "fresh_openers": True}),
    "constrained, greedy": ({"temperature": 0.0}, {"mode": "constrained"}),
    "constrained, examples without profiles": ({}, {"mode": "constrained", "fewshot_profiles": False}),
    "one-call": ({}, {"mode": "one-call"}),
    "one-call, examples without profiles": ({}, {"mode": "one-call", "fewshot_profiles": False}),
    "turns": ({}, {"mode": "turns"}),
    "turns, greedy": ({"temperature": 0.0}, {"mode": "turns"}),
    "turns, 1 example with profiles": ({}, {"mode": "turns", "turn_fewshot": 1}),
    "turns, 1 example without profiles": ({}, {"mode": "turns", "turn_fewshot": 1, "fewshot_profiles": False}),
    "turns, no retries": ({}, {"mode": "turns", "turn_retries": 0}),
}
FILTERS = ["structural", "faithfulness", "toxicity", "expression"]
GREETING = re.compile(r"^(hi|hello|hey|hiya|howdy)\b", re.I)
SELF_NAME = re.compile(r"\b(?i:i'm|i am|my name is)\s+([A-Z][a-z]+)")


def count_tics(turns: list[dict[str, Any]]) -> dict[str, int]:
    """The verbal tics a reader of the demo's winners notices, counted per kind over one conversation."""
    texts = [str(t["text"]).strip() for t in turns]
    words = [re.findall(r"[a-z']+", text.lower()) for text in texts]
    late_greeting = sum(bool(GREETING.match(text)) for text in texts[2:])
    same_opener = sum(bool(words[i] and words[i - 2] and words[i][0] == words[i - 2][0]) for i in range(2, len(words)))
    named_twice = sum(len(set(SELF_NAME.findall(text))) >= 2 for text in texts)
    phrase_twice = sum(any(line[i:i + 3] == line[j:j + 3] for i in range(len(line) - 2)
                           for j in range(i + 1, len(line) - 2)) for line in words)
    return {"late_greeting": late_greeting, "same_opener": same_opener, "named_twice": named_twice,
            "phrase_twice": phrase_twice}


def variant_config(pairs_file: Path, args: argparse.Namespace, gen: dict[str, Any], generator: dict[str, Any]):
    data = {"seed": 0, "generator": generator, "generation": {
        "seed_conversations": "spc-sample:valid", "max_seed_conversations": 100, "pairs_file": str(pairs_file),
        "iterations": 1, "retries": 0, "candidates": args.candidates, "fewshot": 2, "fewshot_max_turns": 6,
        "min_turns": args.min_turns, "max_turns": args.max_turns, "max_tokens": 48 * args.max_turns,
        "batch_size": args.pairs, **gen},
        "critic": {"experts": FILTERS, "min_turns": args.min_turns}}
    return load_config(None, base=data)


def measure(name: str, config: Any, llm: Any, run_dir: Path) -> dict[str, Any]:
    ctx = RunContext(config, RunDir(run_dir).init(config))
    ctx.__dict__["llm"] = CachedLLM(llm, ctx.run.llm_cache_path)
    start = time.perf_counter()
    summary = run_conversations(ctx)
    seconds = time.perf_counter() - start
    rows, _ = read_records(run_dir / "conversations" / "candidates.parquet", dict)
    structural = [any(v["expert"] == "structural" and v["passed"] for v in r["verdicts"]) for r in rows]
    parsed = [Conversation(user1_persona=list(r["user1_persona"]), user2_persona=list(r["user2_persona"]),
                           turns=[dict(t) for t in r["turns"]], source="bench") for r in rows if r["turns"]]
    coverage = persona_coverage(parsed, ctx.embedder).coverage if parsed else float("nan")
    tics: dict[str, int] = {}
    for r in rows:
        for kind, count in count_tics([dict(t) for t in r["turns"]]).items():
            tics[kind] = tics.get(kind, 0) + count
    ctx.llm.close_cache()
    return {"variant": name, "mode": summary.get("generator_mode"), "candidates": len(rows),
            "structural_pass": sum(structural) / len(rows), "critic_pass": sum(bool(r["passed"]) for r in rows) / len(rows),
            "faithfulness_pass": summary["pass_rates"].get("faithfulness"), "coverage": coverage,
            "mean_turns": sum(len(r["turns"]) for r in rows) / len(rows), "winners": summary["winners"],
            "seconds": round(seconds, 1), "winners_per_min": summary["winners"] / (seconds / 60),
            "completion_tokens": summary["tokens"]["completion_tokens"], "load_1min": os.getloadavg()[0],
            "tics_per_candidate": round(sum(tics.values()) / max(len(rows), 1), 2), **tics}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=8)
    ap.add_argument("--candidates", type=int, default=2)
    ap.add_argument("--min-turns", type=int, default=8)
    ap.add_argument("--max-turns", type=int, default=12)
    ap.add_argument("--variants", default=";".join(VARIANTS), help="names of VARIANTS separated by ';'")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="spc-bench-modes-"))
    convs, _ = open_source("spc-sample:test", split="train")
    write_records(tmp / "pairs.jsonl", [{"pair_id": f"p{i}", "user1_persona": c.user1_persona,
                                         "user2_persona": c.user2_persona} for i, c in enumerate(convs[:args.pairs])])
    llm = load_llm("transformers:smollm2")
    rows = []
    for i, name in enumerate(n.strip() for n in args.variants.split(";")):
        gen, generator = VARIANTS[name]
        rows.append(measure(name, variant_config(tmp / "pairs.jsonl", args, gen, generator), llm, tmp / f"run{i}"))
        print(rows[-1], flush=True)
    write_results("generator_modes", rows, ["variant", "mode", "candidates", "structural_pass", "critic_pass",
                                            "faithfulness_pass", "coverage", "mean_turns", "winners",
                                            "winners_per_min", "seconds", "tics_per_candidate", "late_greeting",
                                            "same_opener", "named_twice", "phrase_twice", "load_1min"],
                  {"setup": {"pairs": args.pairs, "candidates": args.candidates, "turns": [args.min_turns, args.max_turns],
                             "model": "transformers:smollm2 (bundled SmolLM2-135M-Instruct)", "filters": FILTERS,
                             "pairs_from": "spc-sample:test", "seeds": "spc-sample:valid"}})
    llm.close()


if __name__ == "__main__":
    main()
