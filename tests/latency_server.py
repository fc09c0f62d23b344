"""The latency-injecting OpenAI-compatible server now lives in `benchmarks/latency_server.py` (benchmarks must
not import from tests/); this module keeps `tests.latency_server` and `python -m tests.latency_server` working."""

from benchmarks.latency_server import (LatencyApp, LatencyServer, Recorder, Settings, answer,  # noqa: F401
                                       attributes, conversation, main, pairwise, query)

if __name__ == "__main__":
    main()
