"""The Critic's filter experts: conversations judged per second, each expert alone and all together.

    python benchmarks/critic.py [--conversations 200] [--faithfulness-conversations 24]

Real SPC test conversations go through `judge_conversations` (the API behind `spc critic judge`)
with the default models: structural (pure Python), toxicity (profanity-check), faithfulness (the
default contradiction checker on every utterance×own-attribute pair, one batched call) and the three
together. Faithfulness is timed on a smaller sample when the default checker is an LLM judge. Each
configuration runs on a fresh run directory, so no cached answer makes it look faster.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import write_results  # noqa: E402
from synthetic_persona_chat.config import load_config  # noqa: E402
from synthetic_persona_chat.context import RunContext  # noqa: E402
from synthetic_persona_chat.generation.config import CriticConfig  # noqa: E402
from synthetic_persona_chat.generation.critic.faithfulness import candidate_pairs  # noqa: E402
from synthetic_persona_chat.generation.critic.judge import conversation_row, judge_conversations  # noqa: E402
from synthetic_persona_chat.readers import read_spc_csv  # noqa: E402
from synthetic_persona_chat.rundir import RunDir  # noqa: E402

SPC = Path(__file__).resolve().parents[2] / "shared" / "data" / "spc"
SETS = (["structural"], ["toxicity"], ["faithfulness"], ["structural", "faithfulness", "toxicity"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--conversations", type=int, default=200)
    ap.add_argument("--faithfulness-conversations", type=int, default=24,
                    help="sample for configurations with faithfulness (the checker may be an LLM)")
    args = ap.parse_args()
    convs, _ = read_spc_csv(SPC / "Synthetic-Persona-Chat_test.csv")
    config = load_config(None)
    rows = []
    for experts in SETS:
        n = args.faithfulness_conversations if "faithfulness" in experts else args.conversations
        sample = convs[:n]
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


def warm(ctx: RunContext, experts: list[str]) -> None:
    """Load the models before the clock starts: loading is not judging."""
    if "toxicity" in experts:
        ctx.toxicity.scores(["hello"])
    if "faithfulness" in experts:
        ctx.nli.scores(["I have a dog."], ["I walk my dog."])


if __name__ == "__main__":
    main()
