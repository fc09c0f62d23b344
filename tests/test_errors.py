"""The CLI's failure line stands on a line of its own, even when a progress bar was cut off by the failure."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from tqdm.auto import tqdm
from synthetic_persona_chat.errors import one_line, print_line
bar = tqdm(total=3, desc="conversations iter 1/2", leave=%s, file=sys.stderr, mininterval=0)
bar.update(1)  # the stage fails mid-bar: nothing closes it
code, line = one_line(OSError(28, "No space left on device", "/tmp/run/cache/llm.sqlite"))
print_line(line)
"""


def test_the_failure_line_is_not_glued_to_an_interrupted_progress_bar():
    for leave in ("True", "False"):
        err = subprocess.run([sys.executable, "-c", SCRIPT % leave], capture_output=True, text=True,
                             timeout=120).stderr
        lines = [line for line in err.splitlines() if line.startswith("spc: ")]
        assert lines == ["spc: filesystem error: No space left on device: /tmp/run/cache/llm.sqlite; free disk "
                         "space (or use a folder on another disk), then rerun the same command: finished work "
                         "is kept"], err
