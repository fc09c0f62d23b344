"""The NUP metric as an `evaluate` module, loaded offline by path, agrees with the eval suite's metrics."""

import numpy as np

from synthetic_persona_chat.eval.metrics import ranking_metrics
from synthetic_persona_chat.eval.nup_ranking import metric_path


def test_evaluate_load_by_path_offline_matches_the_suite(tmp_path):
    import evaluate

    metric = evaluate.load(metric_path(), cache_dir=str(tmp_path))
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(200, 20))
    labels = rng.integers(0, 20, size=200)
    scores[:50, :] = 1.0  # constant rows: ties count against the gold
    got = metric.compute(predictions=scores.tolist(), references=labels.tolist())
    assert got == ranking_metrics(scores, labels)
    assert got["hits@1/20"] < 0.2 and got["examples"] == 200
