#!/usr/bin/env bash
# The main job on the embedded default models (CPU, no network):
# check the models, generate a small dataset, build it, evaluate it.
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
RUN=${RUN:-runs/tiny}
spc models check
