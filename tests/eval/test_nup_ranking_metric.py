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


def test_the_cross_table_scores_through_the_metric_module(spc_valid):
    """`crosstable.evaluate` (every cell of the table) goes through the `evaluate` module loaded by path."""
    from synthetic_persona_chat.eval import data as D
    from synthetic_persona_chat.eval.crosstable import evaluate as evaluate_cell
    from synthetic_persona_chat.eval.metrics import gold_ranks, nup_metric
    from synthetic_persona_chat.eval.rankers import TfidfRanker

    rows = D.examples(D.Dataset("spc", spc_valid[:6]), D.NUPConfig(seed=0))
    got = evaluate_cell(TfidfRanker(), rows, 3)
    module = nup_metric()
    assert module.name == "nup_ranking" and nup_metric.cache_info().currsize == 1
    contexts = [D.context_text(r, 3) for r in rows]
    scores = TfidfRanker().scores(contexts, [r["candidates"] for r in rows])
    labels = [r["label"] for r in rows]
    assert got == module.compute(predictions=np.asarray(scores, np.float64).tolist(), references=labels)
    ranks = gold_ranks(scores, labels)  # the per-example ranks the intervals use agree with the module
    assert got["hits@1/20"] == float((ranks <= 1).mean()) and got["mrr"] == float((1.0 / ranks).mean())


def test_metric_cites_the_dataset_cards_paper(tmp_path):
    import evaluate

    from synthetic_persona_chat.builder.sources import CITATION

    assert evaluate.load(metric_path(), cache_dir=str(tmp_path)).citation == CITATION
