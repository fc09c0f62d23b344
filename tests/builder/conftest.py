"""Builder fixtures: a release folder holding only SPC's test split, and a finished run directory whose
conversations are real SPC conversations dressed with the provenance the generation stages record."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from synthetic_persona_chat.config import Config
from synthetic_persona_chat.readers import read_spc_csv
from synthetic_persona_chat.records import PersonaAttribute, Skip
from synthetic_persona_chat.row_contracts import Verdict
from synthetic_persona_chat.rundir import RunDir
from synthetic_persona_chat.sample_data import sample_path


@pytest.fixture(scope="session")
def spc_test_only(spc_dir, tmp_path_factory) -> Path:
    """The release's test CSV alone (a link, never a copy): 968 rows, one of them empty."""
    d = tmp_path_factory.mktemp("spc-test-only")
    os.symlink(spc_dir / "Synthetic-Persona-Chat_test.csv", d / "Synthetic-Persona-Chat_test.csv")
    return d


def make_run(path: Path, n: int = 60, done: bool = True) -> RunDir:
    """A finished run of `n` (at most 150) conversations: the first rows of SPC's test split, read from the sample
    shipped in the package (those same rows), so builder tests run without ../shared."""
    convs, _ = read_spc_csv(sample_path("test"), split="test")
    if n > len(convs):
        raise ValueError(f"make_run takes at most {len(convs)} conversations (the packaged sample), got {n}")
    run = RunDir(path).init(Config.from_dict({"seed": 3, "generation": {"iterations": 3, "candidates": 2}}))
    run.record_model("llm", {"backend": "llama-cpp", "model": "smollm2", "device": "cpu"})
    run.record_model("embedder", {"backend": "sentence-transformers", "model": "all-MiniLM-L6-v2"})
    rows = []
    for i, conv in enumerate(convs[:n]):
        conv.split = "train" if i < n // 3 else None  # a third seeds with a Persona-Chat split, the rest generated
        conv.source = "spc:test" if conv.split else "run:test"
        conv.iteration = None if conv.split else i % 3 + 1  # counted from 1, as the paper counts
        if not conv.split:
            conv.meta.update(generator="llama-cpp:smollm2", pair_similarity=2.0 + i % 3, pair_id=f"p{i}",
                             verdicts=[{"expert": "faithfulness", "passed": True, "choice": None,
                                        "reason": "no contradiction"},
                                       {"expert": "quality:depth", "passed": None, "choice": 1,
                                        "reason": "asks follow-up questions"}])
        rows.append(conv.to_dict())
    run.write_records("conversations", "conversations", rows)
    run.write_records("conversations", "candidates", candidate_rows(rows))
    attrs = sorted({a for c in convs[:n] for a in (*c.user1_persona, *c.user2_persona)})
    run.write_records("expand", "attributes", [
        PersonaAttribute(text=a, category=i % 7, query=f"query {i % 7}?", origin="seed" if i % 2 else "generated",
                         round=0 if i % 2 else 1).to_dict() for i, a in enumerate(attrs)])
    run.write_records("expand", "categories", [{"category": k, "query": f"query {k}?", "size": 10, "seed_size": 5}
                                               for k in range(7)])
    run.mark_done("expand", {"attributes": len(attrs)})
    run.set_skips("conversations", [Skip("generator", "pair p99", "no 'User 2:' line in candidate")])
    if done:
        # the counts every conversations stage writes (ConversationsSummary requires them), then what the card shows
        run.mark_done("conversations", {"conversations": n, "candidates": n, "parsed": n, "winners": n,
                                        "generator_mode": "constrained",
                                        "pass_rates": {"faithfulness": 0.75, "toxicity": 1.0},
                                               "evaluated": {"faithfulness": 4, "toxicity": 3}})
    return run


def candidate_rows(conversations: list[dict]) -> list[dict]:
    """`conversations/candidates.parquet` as the Critic writes it: each generated conversation won its pair
    against one other candidate (the next conversation's turns) in two position-consistent quality votes;
    every fourth pair also had a third candidate (the previous conversation's turns) that the faithfulness
    filter dropped."""
    generated = [c for c in conversations if not c["split"]]
    rows = []
    for i, conv in enumerate(generated):
        job, loser = f"job{i}", generated[(i + 1) % len(generated)]
        votes = [Verdict(f"quality:{q}", choice=0, compared=[0, 1], consistent=True, reason="both orders chose 0")
                 .to_row() for q in ("depth", "coherency")] + [Verdict("vote", choice=0, reason="2 of 2").to_row()]
        for index, turns in ((0, conv["turns"]), (1, loser["turns"])):
            rows.append({"candidate_id": f"{job}-{index}", "job_id": job, "pair_id": f"p{i}", "iteration": 1,
                         "candidate_index": index, "user1_persona": conv["user1_persona"],
                         "user2_persona": conv["user2_persona"], "turns": turns, "passed": True,
                         "selected": index == 0, "votes": 2 - 2 * index, "verdicts": votes})
        if i % 4 == 0:
            dropped = Verdict("faithfulness", passed=False, score=0.97, reason="contradicts 'i have a dog'")
            rows.append({**rows[-1], "candidate_id": f"{job}-2", "candidate_index": 2, "passed": False,
                         "selected": False, "votes": None, "turns": generated[i - 1]["turns"],
                         "verdicts": [dropped.to_row()]})
    return rows


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("run") / "run").path


def subprocess_env(**extra: str) -> dict[str, str]:
    """A clean environment for a child interpreter: no HF_* settings of the parent, then `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HF_HUB_DISABLE_TELEMETRY="1", **extra)
    return env
