"""Shared by the generation tests: real SPC persona pairs, a scripted LLM that plays every role."""

from __future__ import annotations

import re
from pathlib import Path

from synthetic_persona_chat.config import load_config
from synthetic_persona_chat.context import RunContext
from synthetic_persona_chat.models.llm import CachedLLM
from synthetic_persona_chat.readers import read_spc_csv, write_records
from synthetic_persona_chat.rundir import RunDir
from tests.conftest import SPC_TEST, SPC_VALID
from tests.fakes import TaskLLM, task_of

GOOD = ("User 1: Hi! How are you doing today?\nUser 2: I am great, thanks. I just got back from a run.\n"
        "User 1: Nice, I love running too. Do you run often?\nUser 2: Every morning before work.\n"
        "User 1: That is impressive. What do you do for work?\nUser 2: I teach history at a school.\n"
        "User 1: That sounds rewarding.\nUser 2: It is! What about you?\n")


def spc_pairs(n: int, offset: int = 0) -> list[dict]:
    """Real persona pairs from the SPC test split (the same shape usergen writes)."""
    convs, _ = read_spc_csv(SPC_TEST)
    out = []
    for i, c in enumerate(convs[offset:offset + n]):
        out.append({"pair_id": f"p{offset + i:03d}", "user1_id": f"u{2 * i}", "user2_id": f"u{2 * i + 1}",
                    "user1_persona": c.user1_persona, "user2_persona": c.user2_persona, "similarity": 2})
    return out


def write_pairs(path: Path, pairs: list[dict]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(pairs), path)
    else:
        write_records(path, pairs)
    return path


def config_dict(pairs_file: Path, **gen) -> dict:
    return {"seed": 0, "models": {"toxicity": "profanity-check"},
            "generation": {"seed_conversations": str(SPC_VALID), "max_seed_conversations": 30,
                           "pairs_file": str(pairs_file), "iterations": 2, "candidates": 3, "fewshot": 2,
                           "batch_size": 2, "retries": 0, **gen},
            # the scripted conversations say nothing of the SPC personas: these tests are about the stage's
            # contract, so the persona-expression gate is off here (tests/generation/test_critic_expression.py)
            "critic": {"max_nli_pairs": 4, "min_turns": 4, "min_expressed_share": 0.0}}


ROLES = {"generator": "generator", "turn": "generator", "contradiction_judge": "nli", "pairwise_quality": "quality"}


def role(chat) -> str:
    """The part a prompt plays, from the name of the task that rendered it (tests.fakes.task_of)."""
    return ROLES[task_of(chat)]


def scripted(generator=lambda chat, i: GOOD, nli=lambda chat, i: "yes", quality=lambda chat, i: "B"):
    return TaskLLM({"generator": generator, "turn": generator, "contradiction_judge": nli,
                    "pairwise_quality": quality})


def make_ctx(tmp_path: Path, data: dict, llm=None, run_name: str = "run") -> RunContext:
    config = load_config(None, base=data)
    ctx = RunContext(config, RunDir(tmp_path / run_name).init(config))
    if llm is not None:
        ctx.__dict__["llm"] = CachedLLM(llm, ctx.run.llm_cache_path)
    return ctx


def persona_words(chat) -> str:
    m = re.search(r"User 1's persona:\n(.*?)\n\n", chat[-1]["content"], re.S)
    return m.group(1) if m else ""
