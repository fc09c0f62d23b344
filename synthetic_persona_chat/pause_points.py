"""Named points where a process can be held still, so a fault test can kill it there with SIGKILL.

`SPC_PAUSE_AT=NAME` makes the first `pause_at("NAME")` say so on stderr and sleep; `SPC_PAUSE_AT=NAME@N` the
N-th one (a test draws N at random among the times a run passes the point). Nothing else reads the variable.
A kill -9 test needs the process stopped at a known moment that a timer cannot hit reliably (between the
Hub commit and its tag is one HTTP round trip; a checkpoint unit is half-written for milliseconds). Unset,
the call is one dictionary lookup and does nothing.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter

ENV = "SPC_PAUSE_AT"
HOLD_S = 3600.0
_passed: Counter[str] = Counter()
_lock = threading.Lock()  # writer threads pass the point concurrently: each pass counts once


def pause_at(name: str) -> None:
    """Hold here (an hour: the test kills us long before) when SPC_PAUSE_AT names this point (and pass)."""
    wanted = os.environ.get(ENV)
    if not wanted or wanted.partition("@")[0] != name:
        return
    with _lock:
        _passed[name] += 1
        nth = _passed[name]
    if nth != int(wanted.partition("@")[2] or 1):
        return
    print(f"spc: paused at {wanted} ({ENV}); waiting to be killed", file=sys.stderr, flush=True)
    time.sleep(HOLD_S)
