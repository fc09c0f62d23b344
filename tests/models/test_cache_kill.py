"""kill -9 during a paid `openai:` run re-pays at most the requests in flight (#27, 7).

The real `spc generate` runs in a child process against a fake OpenAI-compatible server that counts
every request it is sent (what a paid endpoint bills). One generate call asks for a whole batch of
prompts (all four pairs, two candidates each); the child is killed in the middle of that call and the
same command is rerun. The answers the killed process had received were committed one by one as they
arrived, so the interrupted run costs the uninterrupted one plus only what was in flight: at most
`concurrency` requests, plus the already answered samples of a prompt whose other sample was in flight.
Before, the cache was written once per call, and the whole call was paid again.
"""

import pytest
import yaml

from tests.faults.helpers import FakeOpenAI, generate, kill_when, outputs, start, write_config

pytestmark = pytest.mark.slow  # the real `spc generate` in child processes (started by tests.faults.helpers), run twice

CONCURRENCY = 2
CANDIDATES = 2  # samples per prompt: a prompt is stored when both are in


def plain_critic(config) -> None:
    """The persona-expression gate and the retries at their defaults: the count compares two runs of the same
    config either way, and so the same test runs on the code #27's probe found (scripts/prove_issue27.py),
    which knew neither of those newer keys."""
    data = yaml.safe_load(config.read_text())
    del data["critic"]["min_expressed_share"], data["generation"]["retries"]
    config.write_text(yaml.safe_dump(data))


def run_counted(tmp, kill_after: int | None) -> int:
    """Requests the server was paid for by one run (killed after `kill_after` requests, then rerun)."""
    run = tmp / "run"
    with FakeOpenAI(delay=0.05) as server:
        config = write_config(tmp, server.url, pairs=4, batch_size=4, candidates=CANDIDATES, iterations=1)
        plain_critic(config)
        if kill_after is not None:
            proc = start(["generate", "--config", str(config), "--run-dir", str(run)], tmp)
            kill_when(proc, lambda: server.requests >= kill_after)
            assert not (run / "conversations" / "_done.json").exists()
        r = generate(config, run, tmp, timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        return server.requests


def test_a_killed_openai_run_pays_again_only_for_requests_in_flight(tmp_path):
    (tmp_path / "whole").mkdir()
    (tmp_path / "killed").mkdir()
    whole = run_counted(tmp_path / "whole", None)
    killed = run_counted(tmp_path / "killed", kill_after=5)  # mid-call: the first asks 8
    assert outputs(tmp_path / "killed" / "run") == outputs(tmp_path / "whole" / "run")  # the same records
    print(f"requests paid: uninterrupted {whole}, killed after 5 and resumed {killed} (+{killed - whole})")
    assert whole <= killed <= whole + CONCURRENCY * CANDIDATES
