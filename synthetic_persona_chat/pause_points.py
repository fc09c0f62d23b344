"""Named points where a process can be held still, so a fault test can kill it there with SIGKILL.

`SPC_PAUSE_AT=NAME` makes `pause_at("NAME")` say so on stderr and sleep; nothing else reads the variable.
A kill -9 test needs the process stopped at a known moment that a timer cannot hit reliably (between the
Hub commit and its tag is one HTTP round trip). Unset, the call is one dictionary lookup and does nothing.
"""

from __future__ import annotations

import os
import sys
import time

ENV = "SPC_PAUSE_AT"
HOLD_S = 3600.0


def pause_at(name: str) -> None:
    """Hold here (an hour: the test kills us long before) when SPC_PAUSE_AT names this point."""
    if os.environ.get(ENV) != name:
        return
    print(f"spc: paused at {name} ({ENV}); waiting to be killed", file=sys.stderr, flush=True)
    time.sleep(HOLD_S)
