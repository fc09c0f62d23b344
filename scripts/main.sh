#!/usr/bin/env bash
# The main job on the embedded default models (CPU, no network), end to end:
# generate a small dataset (`--preset demo`), build it into a datasets export, evaluate it against SPC.
# About 3.5 minutes on 2 idle CPU cores (docs/performance.md, "Main job"). `spc models check` shows each model first.
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

spc generate --preset demo --run-dir "$RUN"                  # resumable: rerun continues (tiny: the tests' smaller run)
spc build "$RUN" --out "$OUT/dataset" --overwrite           # Parquet + README configs + card
python -c "import datasets, sys; d = datasets.load_dataset(sys.argv[1], 'conversations'); print(d)" "$OUT/dataset"
# held-out REAL conversations to compare with: a Persona-Chat-format CSV (user 1 personas, user 2 personas,
# Best Generated Conversation), a ParlAI both_original .txt or hub:ID; without one the packaged SPC sample stands
# in, and the report says so
REAL=${REAL:-$SPC_TEST}
spc eval quality --out "$OUT/eval" --dataset "real=$REAL" --dataset "generated=$RUN" \
    --real real --synthetic generated --set eval_quality.faithfulness_sample=100
# one fine-tuned ranker, on the generated data, against the zero-shot, tf-idf and random baselines
# (drop the --set to also fine-tune on SPC: one more fine-tune, a few minutes on 2 cores)
spc eval nup --out "$OUT/eval" --preset small --spc-test "$SPC_TEST" --spc-train "$SPC_TRAIN" \
    --run "$RUN" --set "eval_nup.train_sets=[generated]"
spc eval report "$OUT/eval"
echo "done: run $RUN, dataset $OUT/dataset, evaluation $OUT/eval/report.md"
