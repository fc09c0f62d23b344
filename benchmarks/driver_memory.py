"""Where the driver's memory goes: `spc ARGS` run in this process with an RSS probe.

    SPC_MEMORY_OUT=mem.json [SPC_TRACEMALLOC=1] python -m benchmarks.driver_memory generate --preset paper ...

A thread samples this process's resident set every 0.2 s; each `RunDir.mark_done` closes a stage, so the JSON
written at exit holds every stage's peak RSS (what `os.wait4` gives only for the whole run) and the RSS when it
ended. With SPC_TRACEMALLOC=1 (tracing from the conversation stage's models loaded on) it also holds the 25
biggest allocation sites (file:line, KB, blocks) still live at each stage's end and when the conversation stage starts writing its tables (`iterate._finish`, the moment it
holds the most): run two sizes and compare, and what grows with the size is what the driver keeps for the whole
run. Used by `benchmarks/paper_scale.py --probe`.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


class Probe:
    """Per-stage peak RSS from a sampling thread, and (optionally) tracemalloc's top sites at each mark."""

    def __init__(self, out: Path, trace: bool) -> None:
        self.out, self.trace = out, trace
        self.stages: list[dict[str, Any]] = []
        self.sites: dict[str, list[dict[str, Any]]] = {}
        self.peak = self.stage_peak = rss_mb()
        self.started = time.perf_counter()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            now = rss_mb()
            self.peak, self.stage_peak = max(self.peak, now), max(self.stage_peak, now)
            time.sleep(0.2)

    def mark(self, name: str) -> None:
        now = rss_mb()
        self.stages.append({"stage": name, "peak_rss_mb": round(max(self.stage_peak, now), 1),
                            "end_rss_mb": round(now, 1), "at_s": round(time.perf_counter() - self.started, 1)})
        self.stage_peak = now
        if tracemalloc.is_tracing():
            self.sites[name] = top_sites(tracemalloc.take_snapshot())

    def write(self) -> None:
        self.out.write_text(json.dumps({"peak_rss_mb": round(self.peak, 1), "stages": self.stages,
                                        "sites": self.sites}, indent=1))


def top_sites(snapshot: tracemalloc.Snapshot, n: int = 25) -> list[dict[str, Any]]:
    stats = snapshot.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)]).statistics("lineno")
    return [{"site": f"{_short(s.traceback[0].filename)}:{s.traceback[0].lineno}", "kb": round(s.size / 1024, 1),
             "blocks": s.count} for s in stats[:n]]


def _short(path: str) -> str:
    for marker in ("site-packages/", "synthetic_persona_chat/", "lib/python"):
        if marker in path:
            return path[path.index(marker):]
    return path


def install(probe: Probe) -> None:
    """Mark every stage's end, and the conversation stage's tables being written (its fullest moment)."""
    from synthetic_persona_chat.generation import iterate
    from synthetic_persona_chat.rundir import RunDir

    mark_done = RunDir.mark_done

    def marked(self: RunDir, stage: str, summary: Any) -> None:
        mark_done(self, stage, summary)
        probe.mark(stage)

    finish = iterate._finish

    def finishing(*args: Any, **kwargs: Any) -> Any:
        probe.mark("conversations: rounds done, tables next")
        return finish(*args, **kwargs)

    load = iterate._load_critic_models

    def loaded(*args: Any, **kwargs: Any) -> None:  # trace from here: imports and model loads under
        load(*args, **kwargs)                         # tracemalloc take minutes and grow with nothing
        probe.mark("conversations: models loaded")
        if probe.trace:
            tracemalloc.start(1)

    RunDir.mark_done, iterate._finish, iterate._load_critic_models = marked, finishing, loaded


def main() -> int:
    probe = Probe(Path(os.environ["SPC_MEMORY_OUT"]), os.environ.get("SPC_TRACEMALLOC") == "1")
    atexit.register(probe.write)
    install(probe)
    from synthetic_persona_chat.cli import main as cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
