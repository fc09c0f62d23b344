"""Generative track throughput on CPU: SFT training tokens/s (float32 vs bf16) and candidate scoring
(20 candidates with one shared prefix vs 20 full sequences; float32 vs bf16), reported as ratios.

    python benchmarks/sft_throughput.py [--conversations 8] [--steps 4] [--examples 6] [--rounds 2]
        [--batch-size 4] [--max-length 512] [--skip-training | --skip-scoring]

Every configuration runs `--rounds` times, interleaved (A B A B ...), on the same data in one process, so
the ratios compare like with like even on a shared machine; absolute figures move with the load.
bf16 on a CPU without native bf16 (no avx512_bf16 / amx_bf16 flag) is emulated: the row says which.
Training: `eval.sft.train_sft` (TRL SFTTrainer, assistant-only loss) on packaged SPC sample conversations;
tokens = what the trainer consumed (padding excluded). Scoring: `eval.lm_scoring.LMScorer` on the ranker
track's examples of the sample's test split; tokens = prompt + all 20 candidates per example.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import write_results  # noqa: E402
from synthetic_persona_chat.eval import data as D  # noqa: E402
from synthetic_persona_chat.eval.generative_table import evaluation_examples  # noqa: E402
from synthetic_persona_chat.eval.lm_scoring import LMScorer  # noqa: E402
from synthetic_persona_chat.eval.sft import SFTRunConfig, load_model, train_sft  # noqa: E402


def native_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def train_rows(conversations: int, steps: int, rounds: int, batch_size: int = 4, max_length: int = 512) -> list[dict]:
    convs = D.load_dataset("spc-sample:valid", "valid", "SPC").conversations[:conversations]
    rows = []
    for r in range(rounds):
        for dtype in ("float32", "bfloat16"):
            cfg = SFTRunConfig(max_steps=steps, batch_size=batch_size, max_length=max_length, save_steps=0,
                               dtype=dtype)
            with tempfile.TemporaryDirectory() as tmp:
                fit = train_sft(convs, tmp, cfg)
            rows.append({"part": "training", "config": dtype, "round": r, "tokens": fit.train_tokens,
                         "seconds": round(fit.seconds, 2), "tokens_per_s": round(fit.tokens_per_second, 1)})
    return rows


def score_rows(examples_n: int, rounds: int) -> list[dict]:
    import torch

    examples, _ = evaluation_examples(D.load_dataset("spc-sample:test", "test", "SPC test"),
                                      SFTRunConfig(max_test_conversations=examples_n, max_test_examples=examples_n))
    model, tok = load_model("smollm2")
    bf16 = load_model("smollm2", "bfloat16")[0]
    configs = {"float32 shared prefix": (model, True), "float32 full sequences": (model, False),
               "bf16 shared prefix": (bf16, True)}
    rows = []
    for r in range(rounds):
        for name, (m, shared) in configs.items():
            scorer = LMScorer(m, tok, shared_prefix=shared)
            prompts = [scorer.prompt_text(e.prompt) for e in examples]
            tokens = sum(len(tok(p + "".join(e.candidates))["input_ids"]) for p, e in zip(prompts, examples))
            start = time.perf_counter()
            with torch.inference_mode():
                for p, e in zip(prompts, examples):
                    scorer.candidate_logprobs(p, e.candidates)
            seconds = time.perf_counter() - start
            rows.append({"part": "scoring", "config": name, "round": r, "tokens": tokens,
                         "seconds": round(seconds, 2), "tokens_per_s": round(tokens / seconds, 1),
                         "examples_per_s": round(len(examples) / seconds, 3)})
    return rows


def ratios(rows: list[dict], part: str, base: str) -> dict[str, float]:
    """Each configuration's total tokens/s over the base configuration's, rounds pooled."""
    def rate(cfg: str) -> float:
        sel = [r for r in rows if r["part"] == part and r["config"] == cfg]
        return sum(r["tokens"] for r in sel) / sum(r["seconds"] for r in sel)
    configs = dict.fromkeys(r["config"] for r in rows if r["part"] == part)
    return {f"{c} / {base}": round(rate(c) / rate(base), 3) for c in configs if c != base}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--conversations", type=int, default=8)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--examples", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=4, help="training rows per step")
    ap.add_argument("--max-length", type=int, default=512, help="tokens per training row")
    ap.add_argument("--skip-training", action="store_true")
    ap.add_argument("--skip-scoring", action="store_true",
                    help="training only; writes results/sft_throughput_training.* so the scoring run's file stays")
    args = ap.parse_args()
    rows = [] if args.skip_scoring else score_rows(args.examples, args.rounds)
    if not args.skip_training:
        rows += train_rows(args.conversations, args.steps, args.rounds, args.batch_size, args.max_length)
    extra = {"native_bf16": native_bf16(), "command": " ".join(sys.argv),
             "scoring_ratios": None if args.skip_scoring else ratios(rows, "scoring", "float32 full sequences"),
             "training_ratios": None if args.skip_training else ratios(rows, "training", "float32")}
    name = "sft_throughput_training" if args.skip_scoring else "sft_throughput"
    write_results(name, rows, ["part", "config", "round", "tokens", "seconds", "tokens_per_s"], extra)


if __name__ == "__main__":
    main()
