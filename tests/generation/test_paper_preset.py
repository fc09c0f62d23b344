"""`spc generate --preset paper`: the paper's parameters, SPC's two parts, and a bill before anything is spent."""

import os
import subprocess
import sys

from synthetic_persona_chat.config import load_config
from synthetic_persona_chat.generation.commands import load_preset
from synthetic_persona_chat.generation.config import critic_config, generation_config
from synthetic_persona_chat.generation.estimate import estimate
from synthetic_persona_chat.generation.iterate import run_conversations
from synthetic_persona_chat.generation.seed_pairs import seed_profile_pairs
from synthetic_persona_chat.readers import read_spc_csv
from synthetic_persona_chat.usergen.config import ExpandConfig, PairsConfig, ProfilesConfig
from tests.conftest import SPC_TEST
from tests.latency_server import LatencyServer

from .helpers import config_dict, make_ctx, scripted, spc_pairs, write_pairs


def test_paper_preset_holds_the_papers_parameters_and_both_spc_parts():
    config = load_config(None, base=load_preset("paper"))
    gen, critic = generation_config(config), critic_config(config)
    profiles, pairs = config.section("profiles", ProfilesConfig), config.section("pairs", PairsConfig)
    assert (gen.iterations, gen.fewshot, gen.temperature, gen.top_k) == (3, 5, 0.7, 40)
    assert critic.qualities == ["depth", "coherency", "consistency", "diversity", "likability"]
    assert profiles.profile_size == 5 and pairs.min_shared == 3  # "more than 2" shared categories
    assert config.section("expand", ExpandConfig).redundancy_threshold == 0.9
    assert gen.max_seed_pairs == 10906 and pairs.max_pairs == 11001 and profiles.num_users == 5648
    assert 20_000 <= gen.max_seed_pairs + pairs.max_pairs <= 22_000  # the documented ~20k target


def test_seed_pairs_dedupe_across_sources_and_obey_the_cap():
    gen = generation_config(load_config(None, base={"generation": {"seed_pairs": [str(SPC_TEST), str(SPC_TEST)]}}))
    pairs = seed_profile_pairs(gen)
    distinct = {frozenset((tuple(c.user1_persona), tuple(c.user2_persona))) for c in read_spc_csv(SPC_TEST)[0]}
    assert len(pairs) == len(distinct) and len({p["pair_id"] for p in pairs}) == len(pairs)
    gen.max_seed_pairs = 3
    assert [p["pair_id"] for p in seed_profile_pairs(gen)] == [p["pair_id"] for p in pairs[:3]]


def test_a_run_writes_on_the_seed_pairs_and_the_generated_ones(tmp_path):
    data = config_dict(write_pairs(tmp_path / "pairs.parquet", spc_pairs(2)), iterations=1, candidates=2,
                       seed_pairs=["spc-sample:valid"], max_seed_pairs=2)
    data["critic"]["experts"] = ["structural", "quality"]
    ctx = make_ctx(tmp_path, data, scripted())
    summary = run_conversations(ctx)
    seeds = {p["pair_id"] for p in seed_profile_pairs(generation_config(ctx.config))}
    written = {r["pair_id"] for r in ctx.run.read_records("conversations", "candidates")}
    assert len(seeds) == 2 and seeds <= written and {"p000", "p001"} <= written
    assert summary["pairs_available"] == 4


def test_paper_estimate_prints_calls_tokens_time_and_cost_without_a_call(tmp_path):
    with LatencyServer(latency=0.0) as server:
        done = subprocess.run(
            [sys.executable, "-m", "synthetic_persona_chat.cli", "generate", "--preset", "paper", "--estimate",
             "--run-dir", str(tmp_path / "run"), "--set", f"models.llm=openai:m@{server.url}",
             "--set", "estimate.prompt_price_per_million=0.15", "--set", "estimate.completion_price_per_million=0.6"],
            capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}, timeout=600)
        assert done.returncode == 0, done.stderr
        assert server.stats()["requests"] == 0  # the estimate asks nothing of the endpoint
    assert not (tmp_path / "run").exists()
    out = done.stdout
    for text in ("generator", "quality experts", "bootstrapping", "total", "completion tokens/s", "cost: ~"):
        assert text in out, (text, out)
    config = load_config(None, ["models.llm=openai:m@http://127.0.0.1:9/v1", "estimate.prompt_price_per_million=0.15",
                                "estimate.completion_price_per_million=0.6"], base=load_preset("paper"))
    est = estimate(config)
    assert est["pairs"] == 11001 + len(seed_profile_pairs(generation_config(config)))
    assert f"cost: ~{est['cost']['expected']:.2f}" in out
    assert f"{est['total']['calls']:,}" in out and est["wall_seconds"] == round(
        est["total"]["completion_tokens"] / 2000, 1)
