"""An HTTP LLM gets several batches at once: the critic of one batch overlaps the generation of the next.

Against tests/latency_server.py. One batch alone never has more than 12 requests in flight here (2 pairs x
1 quality x 3 comparisons x 2 orders), so a server that saw the cap of 48 was fed by several batches.
"""

import json

from synthetic_persona_chat.generation.iterate import run_conversations
from synthetic_persona_chat.models.llm.overlap import batches_in_flight
from tests.latency_server import LatencyServer

from .helpers import config_dict, make_ctx, spc_pairs, write_pairs


def overlap_config(tmp_path, url, cap, pairs=24):
    data = config_dict(write_pairs(tmp_path / "pairs.parquet", spc_pairs(pairs)), batch_size=2, iterations=1)
    data["models"].update(llm={"backend": "openai", "model": "fake", "base_url": url}, max_concurrency=cap)
    data["critic"]["qualities"] = ["depth"]
    return data


def test_batches_overlap_up_to_the_cap_and_each_batch_counts_its_own_calls(tmp_path):
    with LatencyServer(latency=0.1) as srv:
        ctx = make_ctx(tmp_path, overlap_config(tmp_path, srv.url, cap=48))
        summary = run_conversations(ctx)
        stats = srv.stats()
        ctx.close()
    assert stats["max_in_flight"] == 48  # never above the cap, and more than one batch's worth
    assert summary["candidates"] == 24 * 3 and summary["winners"] > 0
    # the per-batch usage (a scope per batch) adds up to what this process paid for; a call is one
    # prompt: the generator's asks for 3 samples (3 requests), a quality expert's for 1
    per_stage = summary["tokens_per_stage"]
    assert summary["tokens"]["calls"] == summary["llm_calls_this_run"] > 24
    assert per_stage["generate"]["calls"] == 24 and per_stage["critic"].get("calls", 0) == 0
    assert stats["requests"] == 3 * per_stage["generate"]["calls"] + per_stage["select"]["calls"]
    batches = sorted((tmp_path / "run" / "conversations" / "iter-1").glob("batch-*/candidates.parquet"))
    assert len(batches) == 12
    plan = json.loads((tmp_path / "run" / "conversations" / "iter-1" / "plan.json").read_text())
    assert [len(b) for b in plan] == [2] * 12


def test_local_models_keep_one_batch_at_a_time(smollm):
    assert batches_in_flight(smollm, 8) == 1


def test_a_server_refusing_one_request_in_ten_with_429_still_completes_the_run(tmp_path):
    with LatencyServer(latency=0.02, error_rate=0.1, error_status=429, retry_after=0.05) as srv:
        data = overlap_config(tmp_path, srv.url, cap=32, pairs=8)
        data["models"]["llm"].update(backoff=0.02, max_retries=10)
        ctx = make_ctx(tmp_path, data)
        summary = run_conversations(ctx)
        stats = srv.stats()
        ctx.close()
    client = summary["llm_client_this_run"]
    assert summary["candidates"] == 8 * 3 and stats["refused"] > 0
    assert client["throttled"] == stats["refused"] and client["lowest_limit"] < 32
