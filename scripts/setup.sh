#!/usr/bin/env bash
# One-time setup on a fresh machine: a virtualenv in .venv with the CPU build of torch pinned
# (an unpinned torch would pull a multi-GB CUDA build) and the package with its dev extras.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
pip install -q --upgrade pip
pip install -q torch==2.13.0
pip install -q -e ".[dev]"
