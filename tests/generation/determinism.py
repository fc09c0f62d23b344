"""The determinism runs and comparisons now live in `benchmarks/determinism_runs.py` (benchmarks must not
import from tests/); this module keeps `tests.generation.determinism` working for the tests."""

from benchmarks.determinism_runs import (differences, digests, export_differences, run_here,  # noqa: F401
                                         run_killed, write_config)
