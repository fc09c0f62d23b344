#!/usr/bin/env bash
# The main job on the embedded default models (CPU, no network), end to end:
# check the models, generate a small dataset, build it into a datasets export, evaluate it.
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
RUN=${RUN:-runs/demo}
OUT=${OUT:-runs/demo-out}
# The SPC sample shipped inside the package (150 conversations per split, CC BY 4.0): nothing outside this
# repository is read. Point these at the full release (a folder, a CSV or hub:ID) for real figures.
SPC_TEST=${SPC_TEST:-spc-sample:test}
SPC_TRAIN=${SPC_TRAIN:-spc-sample:valid}

spc models check
spc generate --preset demo --run-dir "$RUN"                  # resumable: rerun continues (tiny: the tests' smaller run)
spc build "$RUN" --out "$OUT/dataset" --overwrite           # Parquet + README configs + card
python -c "import datasets, sys; d = datasets.load_dataset(sys.argv[1], 'conversations'); print(d)" "$OUT/dataset"
spc eval quality --out "$OUT/eval" --dataset "spc=$SPC_TEST" --dataset "generated=$RUN" \
    --real spc --synthetic generated --set eval_quality.faithfulness_sample=20
spc eval nup --out "$OUT/eval" --preset small --spc-test "$SPC_TEST" --spc-train "$SPC_TRAIN" \
    --run "$RUN"
spc eval report "$OUT/eval"
echo "done: run $RUN, dataset $OUT/dataset, evaluation $OUT/eval/report.md"
