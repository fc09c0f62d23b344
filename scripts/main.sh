#!/usr/bin/env bash
# The main job on the embedded default models (CPU, no network), end to end:
# check the models, generate a small dataset, build it into a datasets export, evaluate it.
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
RUN=${RUN:-runs/tiny}
OUT=${OUT:-runs/tiny-out}
SPC=../shared/data/spc

spc models check
spc generate --preset tiny --run-dir "$RUN"                  # resumable: rerun continues
spc build "$RUN" --out "$OUT/dataset" --overwrite           # Parquet + README configs + card
python -c "import datasets, sys; d = datasets.load_dataset(sys.argv[1], 'conversations'); print(d)" "$OUT/dataset"
spc eval quality --out "$OUT/eval" --dataset "spc=$SPC/Synthetic-Persona-Chat_test.csv" --dataset "generated=$RUN" \
    --real spc --synthetic generated --set eval_quality.faithfulness_sample=20
spc eval nup --out "$OUT/eval" --preset small --spc "$SPC" --spc-train "$SPC/Synthetic-Persona-Chat_valid.csv" \
    --run "$RUN"
spc eval report "$OUT/eval"
echo "done: run $RUN, dataset $OUT/dataset, evaluation $OUT/eval/report.md"
