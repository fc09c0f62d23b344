"""The Ray Data engine against a real local Ray runtime (loopback only): same records as the local engine
for the same seed with a deterministic backend (bundled SmolLM2, greedy decoding), and resumable across
engines."""

import shutil

import pytest

ray = pytest.importorskip("ray", reason="the [ray] extra is not installed")

import pyarrow.parquet as pq  # noqa: E402

from synthetic_persona_chat.generation.iterate import run_conversations  # noqa: E402
from synthetic_persona_chat.generation.ray_engine import RayConfig, make_ray_engine, ray_config  # noqa: E402

from .helpers import config_dict, make_ctx, spc_pairs, write_pairs  # noqa: E402

VOLATILE = {"seconds"}


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def greedy_config(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.parquet", spc_pairs(3, offset=40))
    data = config_dict(pairs, iterations=2, candidates=2, fewshot=1, fewshot_max_turns=4, max_tokens=80,
                       min_turns=4, max_turns=6, temperature=0.0, batch_size=1)
    data["models"]["llm"] = "transformers:smollm2"
    data["critic"].update(experts=["structural", "toxicity", "quality"], min_turns=2, max_alternation_errors=2,
                          qualities=["depth", "likability", "coherency"])
    return data


def records(ctx):
    cands = pq.read_table(ctx.run.path / "conversations" / "candidates.parquet").to_pylist()
    wins = ctx.run.read_records("conversations", "conversations")
    return sorted(cands, key=lambda r: r["candidate_id"]), sorted((w["id"], w["turns"]) for w in wins)


def test_ray_engine_matches_local_and_resumes_across_engines(tmp_path, local_ray):
    data = greedy_config(tmp_path)
    local = make_ctx(tmp_path, data, run_name="local")
    local_summary = run_conversations(local)
    local.close()

    on_ray = make_ctx(tmp_path, data, run_name="ray")
    ray_summary = run_conversations(on_ray, engine=make_ray_engine(RayConfig()))
    on_ray.close()
    assert records(on_ray) == records(local)
    assert ray_summary["winners"] == local_summary["winners"] and ray_summary["candidates"] == 6
    assert ray_summary["tokens"]["calls"] > 0  # the workers' LLM usage reaches the summary
    assert local_summary["tokens"]["completion_tokens"] == ray_summary["tokens"]["completion_tokens"]

    # a run interrupted on Ray (its last batch and the stage summary gone) resumes locally, and back
    conv = on_ray.run.path / "conversations"
    (conv / "_done.json").unlink()
    shutil.rmtree(conv / "iter-1" / "batch-00000")  # a batch unit is a folder (checkpoint.py)
    resumed = make_ctx(tmp_path, data, run_name="ray")
    run_conversations(resumed)
    resumed_calls = resumed.usage()["calls"]
    resumed.close()
    assert records(resumed) == records(local)
    assert resumed_calls == 0  # the interrupted batch's answers were already in the run's cache


def test_ray_section_defaults_and_unknown_keys(tmp_path):
    from synthetic_persona_chat.config import ConfigError, load_config

    assert ray_config(load_config()) == RayConfig()
    with pytest.raises(ConfigError, match="actorz"):
        ray_config(load_config(None, ["ray.actorz=2"]))
