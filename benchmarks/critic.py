"""The Critic's filter experts: conversations judged per second, each expert alone and all together.

    python benchmarks/critic.py [--conversations 200] [--faithfulness-conversations 24]
    python benchmarks/critic.py --cpu-split [--pairs 64] [--precisions fp32,bf16] [--workers 1,2]

Real SPC test conversations go through `judge_conversations` (the API behind `spc critic judge`)
with the default models: structural (pure Python), toxicity (profanity-check), faithfulness (the
default contradiction checker on every utterance×own-attribute pair, one batched call) and the three
together. Faithfulness is timed on a smaller sample when the default checker is an LLM judge. Each
configuration runs on a fresh run directory and an empty user cache ($SPC_CACHE_DIR: the checker's
vectors), so no cached answer or vector makes it look faster.

`--cpu-split` answers "where does the default Critic's CPU go" on what `spc generate` really judges
against the saturation benchmark's server: the canned conversations of tests/latency_server.py for real
SPC persona pairs (3 candidates each), judged batch by batch (8 pairs = 24 candidates, the default batch)
by `critic_batch` with the default filter experts, on a fresh checker cache. Each batch's CPU time (all
threads: the encoder runs its own) is split into the MiniLM encoder, the vector cache, the lexical features,
the logistic regression, the faithfulness expert's own work (pairs, verdicts) and the other filters
(structural, toxicity). Written to results/critic_cpu_split.{json,md}, one row per encoder precision and
number of encoder copies (`workers`), with the wall time: copies trade no CPU for wall time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import SHARED_DATA, write_results  # noqa: E402
from synthetic_persona_chat.config import load_config  # noqa: E402
from synthetic_persona_chat.context import RunContext  # noqa: E402
from synthetic_persona_chat.generation.config import CriticConfig  # noqa: E402
from synthetic_persona_chat.generation.critic.faithfulness import candidate_pairs  # noqa: E402
from synthetic_persona_chat.generation.critic.judge import conversation_row, judge_conversations  # noqa: E402
from synthetic_persona_chat.readers import read_spc_csv  # noqa: E402
from synthetic_persona_chat.rundir import RunDir  # noqa: E402

SPC = SHARED_DATA / "spc"
SETS = (["structural"], ["toxicity"], ["faithfulness"], ["structural", "faithfulness", "toxicity"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--conversations", type=int, default=200)
    ap.add_argument("--faithfulness-conversations", type=int, default=24,
                    help="sample for configurations with faithfulness (the checker may be an LLM)")
    ap.add_argument("--cpu-split", action="store_true", help="split the default Critic's CPU time (see above)")
    ap.add_argument("--pairs", type=int, default=64, help="--cpu-split: SPC persona pairs (x 3 candidates)")
    ap.add_argument("--precisions", default="fp32,bf16", help="--cpu-split: encoder precisions to compare")
    ap.add_argument("--workers", default="1", help="--cpu-split: encoder copies to compare (e.g. 1,2)")
    args = ap.parse_args()
    if args.cpu_split:
        cpu_split(args.pairs, args.precisions.split(","), workers=args.workers.split(","))
        return
    convs, _ = read_spc_csv(SPC / "Synthetic-Persona-Chat_test.csv")
    config = load_config(None)
    rows = []
    for experts in SETS:
        n = args.faithfulness_conversations if "faithfulness" in experts else args.conversations
        sample = convs[:n]
        os.environ["SPC_CACHE_DIR"] = tempfile.mkdtemp(prefix="spc-bench-cache-")  # no vectors from before
        ctx = RunContext(config, RunDir(tempfile.mkdtemp(prefix="spc-bench-critic-")).init(config))
        try:
            warm(ctx, experts)
            start = time.perf_counter()
            records = judge_conversations(sample, ctx, CriticConfig(experts=experts))
            seconds = time.perf_counter() - start
            checker = ctx.nli.describe().get("kind") if "nli" in ctx.__dict__ else ""
        finally:
            ctx.close()
        pairs = sum(candidate_pairs(conversation_row(c, 0), 0)[1] for c in sample) if "faithfulness" in experts else 0
        rows.append({"experts": "+".join(experts), "conversations": n, "seconds": round(seconds, 3),
                     "conversations/s": n / seconds, "nli pairs": pairs,
                     "pass rate": sum(r["passed"] for r in records) / n, "checker": checker})
    write_results("critic", rows, ["experts", "conversations", "seconds", "conversations/s", "nli pairs",
                                   "pass rate", "checker"],
                  extra={"models": {"llm": str(config.models.llm), "nli": str(config.models.nli),
                                    "toxicity": str(config.models.toxicity)}})


def canned_candidates(n_pairs: int, m: int = 3) -> list[dict]:
    """Candidate rows as `generate_batch` makes them from the latency server's answers (same parser)."""
    from benchmarks.saturation import spc_pairs
    from synthetic_persona_chat.generation.parser import parse_conversation
    from benchmarks.latency_server import conversation

    rows = []
    for p in spc_pairs(n_pairs):
        prompt = "".join(f"User {u}'s persona:\n" + "".join(f"- {a}\n" for a in p[f"user{u}_persona"]) + "\n"
                         for u in (1, 2))
        for i in range(m):
            parsed = parse_conversation(conversation(prompt, i))
            rows.append({"candidate_id": f"{p['pair_id']}-{i}", "user1_persona": p["user1_persona"],
                         "user2_persona": p["user2_persona"], **parsed.to_dict()})
    return rows


class _Clock:
    """Process CPU seconds (every thread) and wall seconds spent inside wrapped calls, by name."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.wall: dict[str, float] = {}

    def wrap(self, name: str, fn):
        def timed(*args, **kwargs):
            c, w = time.process_time(), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - c
                self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - w
        return timed


def cpu_split(n_pairs: int, precisions: list[str], batch_pairs: int = 8, workers: list[str] = ("1",)) -> None:
    """Per precision: critic_batch over canned candidates, CPU split by component (see the module doc)."""
    from synthetic_persona_chat.generation.config import critic_config
    from dataclasses import replace

    from synthetic_persona_chat.generation.critic import EXPERTS, faithfulness
    from synthetic_persona_chat.generation.stages import critic_batch
    from synthetic_persona_chat.models.contradiction import load_contradiction_checker

    rows_in = canned_candidates(n_pairs)
    config = load_config(None)
    cfg = critic_config(config)
    rows = []
    for precision, worker in ((p, w) for p in precisions for w in workers):
        ctx = RunContext(config, RunDir(tempfile.mkdtemp(prefix="spc-bench-split-")).init(config))
        checker = load_contradiction_checker({"backend": "minilm-polarity", "precision": precision,
                                              "workers": int(worker)},
                                             vector_cache=Path(tempfile.mkdtemp()) / "checker-vectors.sqlite")
        ctx.__dict__["nli"] = checker  # a fresh cache: only this run's own repeats are hits
        warm(ctx, ["toxicity", "faithfulness"])
        checker.vectors.requested = checker.vectors.distinct = checker.vectors.cache_hits = checker.vectors.encoded = 0
        clock = _Clock()
        # every encoder replica works inside _encode_new (process CPU counts all their threads)
        checker.vectors._encode_new = clock.wrap("encoder", checker.vectors._encode_new)
        checker.vectors.encode = clock.wrap("vectors", checker.vectors.encode)
        checker.features = clock.wrap("features", checker.features)
        checker.scores = clock.wrap("scores", checker.scores)
        expert = EXPERTS["faithfulness"]
        EXPERTS["faithfulness"] = replace(expert, fn=clock.wrap("faithfulness", expert.fn))
        try:
            batches = [rows_in[i:i + 3 * batch_pairs] for i in range(0, len(rows_in), 3 * batch_pairs)]
            run = clock.wrap("critic_batch", lambda b: critic_batch(b, ctx, cfg))
            judged = [r for b in batches for r in run(b)]
        finally:
            EXPERTS["faithfulness"] = expert
            ctx.close()
        c = clock.cpu
        split = {"encoder": c["encoder"], "vector cache": c["vectors"] - c["encoder"],
                 "features": c["features"] - c["vectors"], "logistic regression": c["scores"] - c["features"],
                 "faithfulness own": c["faithfulness"] - c["scores"],
                 "structural+toxicity": c["critic_batch"] - c["faithfulness"]}
        n = len(rows_in)
        pairs = sum(faithfulness.candidate_pairs(r, 0)[1] for r in rows_in)
        stats = checker.vectors.stats()
        rows.append({"precision": checker.vectors.precision, "encoders": len(checker.vectors._encoders),
                     "candidates": n, "nli_pairs": pairs,
                     "cpu_s": round(c["critic_batch"], 2), "wall_s": round(clock.wall["critic_batch"], 2),
                     "cpu_ms_per_candidate": round(1000 * c["critic_batch"] / n, 2),
                     **{f"{k} %": round(100 * v / c["critic_batch"], 1) for k, v in split.items()},
                     "texts_encoded": stats["encoded"], "distinct_texts": stats["distinct"],
                     "cache_hit_rate": stats["cache_hit_rate"],
                     "encoder_sentences_per_cpu_s": round(stats["encoded"] / c["encoder"], 1),
                     "faithfulness_pass_rate": round(sum(r["passed"] for r in judged) / n, 3)})
    columns = list(rows[0])
    write_results("critic_cpu_split", rows, columns, extra={
        "input": f"{n_pairs} SPC test persona pairs x 3 canned candidates (tests/latency_server.py), "
                 f"critic_batch per {batch_pairs} pairs, default filter experts",
        "load_avg": os.getloadavg()[0], "torch_threads": _torch_threads()})


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def warm(ctx: RunContext, experts: list[str]) -> None:
    """Load the models before the clock starts: loading is not judging."""
    if "toxicity" in experts:
        ctx.toxicity.scores(["hello"])
    if "faithfulness" in experts:
        ctx.nli.scores(["I have a dog."], ["I walk my dog."])


if __name__ == "__main__":
    main()
