"""User generation end to end on the embedded default models (bundled SmolLM2 (transformers), MiniLM).

~200 real persona attributes from the SPC release; small rounds so it stays within a few minutes on CPU.
"""

import numpy as np
import pytest

from synthetic_persona_chat.readers import read_spc_csv
from synthetic_persona_chat.usergen.stages import run_expand, run_pairs, run_profiles
from synthetic_persona_chat.usergen.clustering import mean_inter_category_distance, relabel_by_size

pytestmark = pytest.mark.slow

OVERRIDES = ["expand.max_queries=3", "expand.rounds=1", "expand.max_tokens=96", "expand.num_new=4",
             "profiles.num_users=3", "profiles.profile_size=3", "profiles.min_size=3", "profiles.max_tries=10",
             "pairs.min_shared=1", "pairs.max_degree=1", "pairs.share_threshold=-1"]


def test_expand_profiles_pairs_real(tmp_path, spc_dir, smollm, minilm, make_context):
    convs, _ = read_spc_csv(spc_dir / "Synthetic-Persona-Chat_test.csv")
    seeds = list(dict.fromkeys(a for c in convs for a in c.user1_persona + c.user2_persona))[:200]
    llm = _Unclosed(smollm)
    ctx = make_context(tmp_path / "run", llm, minilm, OVERRIDES)

    summary = run_expand(ctx, seeds=seeds)
    attrs = ctx.run.read_records("expand", "attributes")
    assert summary["seed_attributes"] == 200
    assert summary["attributes"] == len(attrs) > 200  # the pool grew
    report = ctx.run.read_json("expand/report.json")
    vecs = minilm.encode([a["text"] for a in attrs])
    labels = relabel_by_size(np.array([a["category"] for a in attrs]))
    assert report["expanded"]["attributes"] == len(attrs)
    assert report["expanded"]["categories"] == len(set(labels.tolist()))
    assert report["expanded"]["mean_inter_category_distance"] == pytest.approx(
        mean_inter_category_distance(vecs, labels), abs=1e-3)
    assert report["expanded"]["mean_length_words"] == pytest.approx(
        np.mean([len(a["text"].split()) for a in attrs]), abs=1e-3)
    assert report["seed"]["attributes"] == 200 and report["growth"] == len(attrs) - 200
    # no generated attribute is a near-duplicate of another pool attribute
    sims = vecs @ vecs.T
    np.fill_diagonal(sims, 0)
    gen = [i for i, a in enumerate(attrs) if a["origin"] == "generated"]
    assert (sims[gen].max(axis=1) <= 0.9 + 1e-5).all()

    prof = run_profiles(ctx)
    assert prof["checker"]["kind"] == "minilm-polarity"
    profiles = ctx.run.read_records("profiles", "profiles")
    checker = ctx.nli
    for p in profiles:
        assert 3 <= len(p["attributes"]) <= 3 and len(set(p["categories"])) == 3
        premises = [a for i, a in enumerate(p["attributes"]) for b in p["attributes"][i + 1:]]
        hyps = [b for i, a in enumerate(p["attributes"]) for b in p["attributes"][i + 1:]]
        assert (checker.scores(premises, hyps) <= 0.5).all()  # the checker flags no contradiction

    if len(profiles) >= 2:
        run_pairs(ctx)
        pairs = ctx.run.read_records("pairs", "pairs")
        deg: dict = {}
        for r in pairs:
            assert r["similarity"] >= 1
            for u in (r["user1_id"], r["user2_id"]):
                deg[u] = deg.get(u, 0) + 1
        assert all(d <= 1 for d in deg.values())


PAPER = ["expand.algorithm=paper", "expand.max_queries=4", "expand.query_steps=2", "expand.rounds=1",
         "expand.max_attributes=66", "expand.max_tokens=32", "expand.query_max_tokens=24",
         "profiles.negation_max_tokens=24", "profiles.consistency=negation", "profiles.num_users=2",
         "profiles.profile_size=3", "profiles.min_size=2", "profiles.max_tries=8"]


def test_paper_algorithm_real(tmp_path, spc_dir, smollm, minilm, make_context):
    """The paper's algorithm on SmolLM2 at a tiny size: every query prompt ends as a query or a recorded skip,
    persona answers grow the pool to at most the target, and profiles are checked with LLM negations."""
    convs, _ = read_spc_csv(spc_dir / "Synthetic-Persona-Chat_test.csv")
    seeds = list(dict.fromkeys(a for c in convs for a in c.user1_persona + c.user2_persona))[:60]
    ctx = make_context(tmp_path / "run", _Unclosed(smollm), minilm, PAPER)
    summary = run_expand(ctx, seeds=seeds)
    assert summary["algorithm"] == "paper" and 60 <= summary["attributes"] <= 66
    queries = ctx.run.read_records("expand", "queries")
    skips = ctx.run.skips("expand")
    failed = [q for q in queries if q["source"] == "failed"]
    assert all(q["query"] is None for q in failed)
    assert len([s for s in skips if s["locator"].startswith("category")]) == len(failed)
    assert all(q["query"].endswith("?") for q in queries if q["source"] != "failed")
    boot = [q for q in queries if q["source"] == "bootstrap"]
    steps = [s for s in skips if s["locator"].startswith("query bootstrap step")]
    assert len(boot) + len(steps) <= 2
    prof = run_profiles(ctx)
    assert prof["consistency"] == "negation" and prof["profiles"] >= 1
    assert (tmp_path / "run/prompts/usergen_negation.j2").exists()


class _Unclosed:
    """The session's shared llama.cpp model, counted per test and never closed here."""

    def __new__(cls, llm):
        from synthetic_persona_chat.models.llm import LLM

        class Wrapper(LLM):
            backend = llm.backend

            def __init__(self):
                super().__init__(llm.model)

            def _generate(self, chats, params):
                return llm._generate(chats, params)

            def describe(self):
                return llm.describe()

        return Wrapper()
