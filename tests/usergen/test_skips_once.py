"""Skips are recorded exactly once across a kill (issue 13/14).

Skips live in the checkpoint unit of the step that met them, and a stage publishes its units' skips with
`RunDir.set_skips`, which replaces what the stage published before. Here the states a kill can leave are
made exactly: skips published but the step's checkpoint gone, and skips published but the stage unfinished
(a kill lands in such a window only by chance; tests/faults kills the real CLI)."""

from __future__ import annotations

import shutil

from synthetic_persona_chat.usergen.stages import run_expand, run_profiles
from tests.fakes import ScriptedLLM

from .test_stages import OVERRIDES, SEEDS, respond

SKIPPY = [*OVERRIDES, "profiles.num_users=12", "profiles.profile_size=3", "profiles.min_size=3",
          "profiles.max_tries=3", "profiles.redundancy_threshold=0.4"]


def _skips(ctx, stage):
    return [(s["locator"], s["reason"]) for s in ctx.run.skips(stage)]


def test_skips_recorded_before_a_checkpoint_are_not_recorded_again_on_resume(tmp_path, minilm, make_context):
    ctx = make_context(tmp_path / "run", ScriptedLLM(respond), minilm, SKIPPY)
    run_expand(ctx, seeds=SEEDS)
    run_profiles(ctx)
    expand_skips, profile_skips = _skips(ctx, "expand"), _skips(ctx, "profiles")
    assert len(expand_skips) == 2 and profile_skips  # the empty and the duplicate seed line; skipped users
    pool = ctx.run.read_records("expand", "attributes")
    profiles = ctx.run.read_records("profiles", "profiles")

    # killed after expand recorded its seed skips, before its round-0 checkpoint: nothing of expand/ is kept
    shutil.rmtree(tmp_path / "run" / "expand")
    (tmp_path / "run" / "profiles" / "_done.json").unlink()  # killed after profiles recorded its skips
    again = make_context(tmp_path / "run", ScriptedLLM(respond), minilm, SKIPPY)
    run_expand(again, seeds=SEEDS)
    run_profiles(again)
    assert again.llm.usage.calls == 0  # every answer came from the run's cache
    assert again.run.read_records("expand", "attributes") == pool
    assert again.run.read_records("profiles", "profiles") == profiles
    assert _skips(again, "expand") == expand_skips and _skips(again, "profiles") == profile_skips
