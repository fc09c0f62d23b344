"""Same config and seed, same bytes: conversations.parquet, candidates.parquet and the export are identical
across `models.max_concurrency` 1/8/64, the local and the Ray engine, and runs killed with -9 at random
moments and resumed (tests/generation/determinism.py says what is compared and why every run gets its own
empty user cache). Small here; benchmarks/determinism.py loops each comparison and counts identical runs.

Regression: with a shared MiniLM vector cache, the vector of a text depended on the batch that first
encoded it, i.e. on the order batches finished in; a faithfulness score then moved in its last bits.
"""

from __future__ import annotations

import random

import pytest

from tests.latency_server import LatencyServer

from . import determinism as D

PAIRS = 8  # the first 8 SPC test pairs share 5 persona attributes across batches: the texts whose vectors moved


@pytest.fixture(scope="module")
def server():
    with LatencyServer(latency=0.02) as srv:
        yield srv


@pytest.fixture(scope="module")
def reference(server, tmp_path_factory):
    """The run at concurrency 64, uninterrupted, in this process."""
    root = tmp_path_factory.mktemp("reference")
    return D.run_here(D.write_config(root, server.url, PAIRS, 64), root)


@pytest.fixture(scope="module")
def concurrency_1(server, tmp_path_factory):
    root = tmp_path_factory.mktemp("c1")
    return D.run_here(D.write_config(root, server.url, PAIRS, 1), root)


def test_concurrency_does_not_change_a_byte(reference, concurrency_1):
    """1 against 64 here; benchmarks/determinism.py also runs 8, and each comparison several times."""
    assert D.differences(reference, concurrency_1) == []
    assert D.digests(reference) == D.digests(concurrency_1)


def test_export_of_equal_runs_is_equal(reference, concurrency_1):
    assert D.export_differences(reference, concurrency_1) == []


def test_killed_at_random_moments_and_resumed(server, reference, tmp_path):
    rng = random.Random(21)
    got, moments = D.run_killed(D.write_config(tmp_path, server.url, PAIRS, 64), tmp_path, kills=2, rng=rng,
                                horizon=25.0)
    assert D.differences(reference, got) == [], moments


def test_ray_engine_writes_the_same_bytes(server, reference, tmp_path):
    ray = pytest.importorskip("ray", reason="the [ray] extra is not installed")
    from synthetic_persona_chat.generation.ray_engine import RayConfig, make_ray_engine

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        got = D.run_here(D.write_config(tmp_path, server.url, PAIRS, 64), tmp_path,
                         engine=make_ray_engine(RayConfig(http_concurrency=4)))
    finally:
        ray.shutdown()
    assert D.differences(reference, got) == []
