"""kill -9 in the middle of `spc generate`, rerun the same command: it continues where it stopped.

The LLM is the fake OpenAI-compatible server (deterministic, on 127.0.0.1), so the interrupted run
can be compared record for record with an uninterrupted one.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pyarrow.parquet as pq
import yaml

from .fake_openai import FakeOpenAI
from .helpers import config_dict, spc_pairs, write_pairs


def spc_generate(config, run_dir, **kw):
    return subprocess.Popen([sys.executable, "-m", "synthetic_persona_chat.cli", "generate", "--config",
                             str(config), "--run-dir", str(run_dir)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}, **kw)


def cache_entries(run_dir):
    with sqlite3.connect(run_dir / "cache" / "llm.sqlite") as db:
        return db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]


def outputs(run_dir):
    cands = pq.read_table(run_dir / "conversations" / "candidates.parquet").to_pylist()
    wins = pq.read_table(run_dir / "conversations" / "conversations.parquet").to_pylist()
    return cands, wins


def test_kill_9_mid_stage_then_resume(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.parquet", spc_pairs(8))
    with FakeOpenAI(delay=0.03) as server:
        data = config_dict(pairs, batch_size=1, candidates=2, iterations=2)
        data["models"]["llm"] = {"backend": "openai", "model": "fake", "base_url": server.url, "concurrency": 1}
        config = tmp_path / "config.yaml"
        config.write_text(yaml.safe_dump(data))
        run = tmp_path / "killed"

        proc = spc_generate(config, run)
        deadline = time.time() + 150
        while time.time() < deadline and proc.poll() is None:
            if len(list(run.glob("conversations/iter-1/batch-*/candidates.parquet"))) >= 2:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.stdout.read()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        assert not (run / "conversations" / "_done.json").exists()
        paid_before = cache_entries(run)
        batches_before = len(list(run.glob("conversations/iter-*/batch-*/candidates.parquet")))
        assert 2 <= batches_before < 8

        resumed = spc_generate(config, run)
        out, _ = resumed.communicate(timeout=240)
        assert resumed.returncode == 0, out
        assert "winners" in out and "pass rate" in out
        done = json.loads((run / "conversations" / "_done.json").read_text())
        # the resumed run paid only for what was not cached when it was killed
        assert paid_before + done["llm_calls_this_run"] == cache_entries(run)
        assert 0 < done["llm_calls_this_run"] < done["tokens"]["calls"] + done["tokens"]["cache_hits"]

        reference = spc_generate(config, tmp_path / "uninterrupted")
        ref_out, _ = reference.communicate(timeout=240)
        assert reference.returncode == 0, ref_out

    cands, wins = outputs(run)
    ref_cands, ref_wins = outputs(tmp_path / "uninterrupted")
    assert len(cands) == 8 * 2 and len({c["candidate_id"] for c in cands}) == len(cands)  # none lost, none twice
    key = lambda r: r["candidate_id"]  # noqa: E731
    strip = lambda rows: [{k: v for k, v in r.items()} for r in sorted(rows, key=key)]  # noqa: E731
    assert strip(cands) == strip(ref_cands)
    assert sorted(w["id"] for w in wins) == sorted(w["id"] for w in ref_wins) and len(wins) > 0


def test_kill_9_with_64_requests_in_flight_then_resume(tmp_path):
    """Batches overlap against a latency-injecting server at concurrency 64: kill -9, rerun, nothing lost
    or paid twice, and the records equal an uninterrupted run's."""
    from tests.latency_server import LatencyServer

    pairs = write_pairs(tmp_path / "pairs.parquet", spc_pairs(48))
    with LatencyServer(latency=0.05) as server:
        data = config_dict(pairs, batch_size=2, candidates=3, iterations=2)
        data["models"].update(llm={"backend": "openai", "model": "fake", "base_url": server.url},
                              max_concurrency=64)
        data["critic"]["qualities"] = ["depth", "coherency"]
        config = tmp_path / "config.yaml"
        config.write_text(yaml.safe_dump(data))
        run = tmp_path / "killed"

        proc = spc_generate(config, run)
        deadline = time.time() + 240
        while time.time() < deadline and proc.poll() is None:
            if len(list(run.glob("conversations/iter-1/batch-*/candidates.parquet"))) >= 3 and server.app.rec.in_flight:
                break
            time.sleep(0.02)
        assert proc.poll() is None, proc.stdout.read()
        in_flight_at_kill = server.app.rec.in_flight
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        paid_before = cache_entries(run)
        batches_before = len(list(run.glob("conversations/iter-*/batch-*/candidates.parquet")))
        assert 3 <= batches_before < 24 and in_flight_at_kill > 0

        resumed = spc_generate(config, run)
        out, _ = resumed.communicate(timeout=300)
        assert resumed.returncode == 0, out
        done = json.loads((run / "conversations" / "_done.json").read_text())
        assert paid_before + done["llm_calls_this_run"] == cache_entries(run)  # nothing cached was asked again
        assert done["cache_hits_this_run"] > 0

        reference = spc_generate(config, tmp_path / "uninterrupted")
        ref_out, _ = reference.communicate(timeout=300)
        assert reference.returncode == 0, ref_out

    cands, wins = outputs(run)
    ref_cands, ref_wins = outputs(tmp_path / "uninterrupted")
    assert len(cands) == 48 * 3 and len({c["candidate_id"] for c in cands}) == len(cands)
    key = lambda r: r["candidate_id"]  # noqa: E731
    assert sorted(cands, key=key) == sorted(ref_cands, key=key)
    assert sorted(w["id"] for w in wins) == sorted(w["id"] for w in ref_wins) and len(wins) > 0
