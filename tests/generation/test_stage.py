"""The conversation stage end to end with scripted / fake-HTTP LLMs: outputs, iterations, bad input."""

import json
import shutil
import sqlite3

import pyarrow.parquet as pq
import pytest

from synthetic_persona_chat.config import ConfigError
from synthetic_persona_chat.generation.iterate import run_conversations
from synthetic_persona_chat.models.llm import LLMError
from synthetic_persona_chat.records import Conversation

from .fake_openai import FakeOpenAI
from .helpers import GOOD, config_dict, make_ctx, role, scripted, spc_pairs, write_pairs


def varied(chat, i):
    """A different, valid conversation per pair and sample."""
    tag = abs(hash(chat[-1]["content"][-300:])) % 1000
    return GOOD.replace("I just got back from a run.", f"I just got back from run {tag}-{i}.")


def test_stage_outputs_and_contract(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.parquet", spc_pairs(6))
    llm = scripted(generator=varied)
    ctx = make_ctx(tmp_path, config_dict(pairs), llm)
    summary = run_conversations(ctx)
    run = ctx.run
    cands = pq.read_table(run.path / "conversations" / "candidates.parquet").to_pylist()
    assert len(cands) == 6 * 3 and len({c["candidate_id"] for c in cands}) == 18
    assert {c["iteration"] for c in cands} == {1, 2}  # counted from 1, as the paper counts
    wins = [Conversation.from_dict(r) for r in run.read_records("conversations", "conversations")]
    assert len(wins) == 6 and all(w.source == "run:run" for w in wins)
    meta = wins[0].meta
    assert {"pair_id", "pair_similarity", "generator", "verdicts", "candidate_index"} <= set(meta)
    assert meta["generator"] == "scripted:scripted"
    assert {v["expert"] for v in meta["verdicts"]} >= {"structural", "faithfulness", "toxicity", "quality:depth",
                                                        "vote"}
    for key in ("pairs", "candidates", "winners", "pass_rates", "tokens", "seconds_per_stage", "llm_calls_this_run"):
        assert key in summary
    assert summary["pairs"] == 6 and summary["winners"] == 6 and summary["pass_rates"]["structural"] == 1.0
    assert set(summary["tokens"]) == {"prompt_tokens", "completion_tokens", "calls", "cache_hits"}
    assert summary["tokens"]["calls"] == summary["llm_calls_this_run"] > 0
    assert (run.path / "prompts" / "generator.txt").exists()
    # iteration 2's few-shot examples are iteration 1's winners (counted from 1, as the paper counts)
    first_winners = {w.id for w in wins if w.iteration == 1}
    it1 = [c for c in cands if c["iteration"] == 2]
    assert {w.iteration for w in wins} <= {1, 2} and (run.path / "conversations" / "iter-1").is_dir()
    assert it1 and all(set(c["fewshot_ids"]) <= first_winners for c in it1)
    gen_prompts = [p[-1]["content"] for p in llm.prompts if role(p) == "generator"]
    assert any("I just got back from run" in p for p in gen_prompts)  # a winner shown as an example
    # done: a rerun is a no-op
    calls = llm.usage.calls
    assert run_conversations(ctx) == summary and llm.usage.calls == calls


def test_resume_after_lost_batches_pays_nothing_twice(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.parquet", spc_pairs(4))
    data = config_dict(pairs, batch_size=1)
    first = run_conversations(make_ctx(tmp_path, data, scripted(generator=varied)))
    run_dir = tmp_path / "run" / "conversations"
    (run_dir / "_done.json").unlink()
    shutil.rmtree(run_dir / "iter-1" / "batch-00001")  # a lost batch unit
    (run_dir / "candidates.parquet").unlink()
    llm = scripted(generator=varied)
    again = run_conversations(make_ctx(tmp_path, data, llm))
    assert again["llm_calls_this_run"] == 0 and again["cache_hits_this_run"] > 0
    assert again["winners"] == first["winners"]
    # answers used = fresh calls + cache hits, whatever was interrupted; the redone batch only hit the cache
    used = lambda s: s["tokens"]["calls"] + s["tokens"]["cache_hits"]  # noqa: E731
    assert used(again) == used(first) and again["tokens"]["calls"] < first["tokens"]["calls"]


def test_unparsable_and_empty_generations_are_rejected_with_reason(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.parquet", spc_pairs(2))
    bad = {0: "", 1: "I am an AI and cannot do that.", 2: "User 1: Hello?"}
    ctx = make_ctx(tmp_path, config_dict(pairs, iterations=1), scripted(generator=lambda c, i: bad[i]))
    summary = run_conversations(ctx)
    cands = pq.read_table(ctx.run.path / "conversations" / "candidates.parquet").to_pylist()
    reasons = sorted({c["parse_error"] for c in cands})
    assert reasons == ["empty generation", "no 'User 1:' / 'User 2:' line found", "only user 1 speaks"]
    assert all(c["verdicts"][0]["expert"] == "parser" and not c["passed"] for c in cands)
    assert summary["winners"] == 0 and summary["pass_rates"]["parser"] == 0.0
    assert ctx.run.read_records("conversations", "conversations") == []


def test_empty_persona_pair_is_a_recorded_skip(tmp_path):
    rows = spc_pairs(3)
    rows[1]["user2_persona"] = []
    pairs = write_pairs(tmp_path / "pairs.jsonl", rows)
    data = config_dict(pairs, iterations=1)
    summary = run_conversations(make_ctx(tmp_path, data, scripted(generator=varied)))
    assert summary["pairs"] == 2 and summary["skipped_pairs"] == 1
    skips = [json.loads(l) for l in (tmp_path / "run" / "skips.jsonl").read_text().splitlines()]
    assert skips == [{"stage": "conversations", "source": str(pairs), "locator": "pair_id=p001",
                      "reason": "user 2 persona is empty"}]


def test_bad_config_is_a_clear_error_before_any_model_loads(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.parquet", spc_pairs(2))
    data = config_dict(pairs)
    data["critic"]["experts"] = ["structural", "fluency"]
    ctx = make_ctx(tmp_path, data)
    with pytest.raises(ConfigError, match="unknown expert.*fluency"):
        run_conversations(ctx)
    assert "llm" not in ctx.__dict__
    data = config_dict(pairs, candidatez=2)
    with pytest.raises(ConfigError, match="candidatez"):
        run_conversations(make_ctx(tmp_path, data, run_name="r2"))
    with pytest.raises(ValueError, match="pairs file not found"):
        run_conversations(make_ctx(tmp_path, config_dict(tmp_path / "nope.parquet"), run_name="r3"))
    with pytest.raises(ValueError, match="seed conversations not found"):
        run_conversations(make_ctx(tmp_path, config_dict(pairs, seed_conversations="nope.csv"), run_name="r4"))


def entries(run_path):
    with sqlite3.connect(run_path / "cache" / "llm.sqlite") as db:
        return db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]


def test_endpoint_dies_mid_run_then_resumes(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.parquet", spc_pairs(4))
    with FakeOpenAI() as server:
        data = config_dict(pairs, batch_size=1, candidates=2)
        data["models"]["llm"] = {"backend": "openai", "model": "fake", "base_url": server.url, "concurrency": 2,
                                 "max_retries": 1, "backoff": 0.01, "timeout": 5}
        ctx = make_ctx(tmp_path, data)
        original = ctx.llm.inner._generate_each  # the cache asks answer by answer (committed as they arrive)

        def dying(chats, params, answered):  # the endpoint goes away once a batch is saved (batches overlap: by file)
            if list((tmp_path / "run" / "conversations").glob("iter-1/batch-*/candidates.parquet")):
                server.dead = True
            return original(chats, params, answered)

        ctx.llm.inner._generate_each = dying
        with pytest.raises(LLMError, match=r"(?s)127\.0\.0\.1.*rerun the same command to resume"):
            run_conversations(ctx)
        ctx.close()
        done_batches = list((tmp_path / "run" / "conversations").glob("iter-*/batch-*/candidates.parquet"))
        assert done_batches and not (tmp_path / "run" / "conversations" / "_done.json").exists()
        paid = entries(tmp_path / "run")
        server.dead = False
        ctx = make_ctx(tmp_path, data)
        summary = run_conversations(ctx)
        assert paid + summary["llm_calls_this_run"] == entries(tmp_path / "run")
        cands = pq.read_table(tmp_path / "run" / "conversations" / "candidates.parquet").to_pylist()
        assert len(cands) == 8 and len({c["candidate_id"] for c in cands}) == 8
        ctx.close()
