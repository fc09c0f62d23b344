"""hits@k and MRR of next-utterance prediction as an `evaluate` metric module.

Load it offline by path, `evaluate.load(synthetic_persona_chat.eval.nup_ranking.metric_path())`, or push this
folder to a Hub Space to share it as a metric (README: "The NUP metric on the Hub"). Inputs per example: the
scores of the candidates and the gold's index. Ties count against the gold (the eval suite's rule), so a constant ranker never beats random.
"""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = "hits@1, hits@5 (of N candidates) and mean reciprocal rank of the gold next utterance."
_KWARGS = """
Args:
    predictions: list of lists of floats, the candidates' scores of each example (N per example).
    references: list of ints, the gold candidate's index in each example.
    ks: hit thresholds (default (1, 5)).
Returns:
    {"hits@1/N": float, "hits@5/N": float, "mrr": float, "examples": int}
"""
# The same text as synthetic_persona_chat/data/paper.bib (`builder.sources.CITATION`) (dataset and model cards; a test checks it).
# Written out because this file must also work alone, pushed to the Hub as a metric.
_CITATION = """\
@misc{jandaghi2023faithful,
      title={Faithful Persona-based Conversational Dataset Generation with Large Language Models},
      author={Pegah Jandaghi and XiangHai Sheng and Xinyi Bai and Jay Pujara and Hakim Sidahmed},
      year={2023},
      eprint={2312.10007},
      archivePrefix={arXiv},
      primaryClass={cs.CL}
}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class NupRanking(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation=_CITATION, inputs_description=_KWARGS,
            features=datasets.Features({"predictions": datasets.Sequence(datasets.Value("float64")),
                                        "references": datasets.Value("int64")}))

    def _compute(self, predictions, references, ks=(1, 5)):
        scores = np.asarray(predictions, dtype=np.float64)
        labels = np.asarray(references, dtype=np.int64)
        if scores.ndim != 2 or len(scores) != len(labels):
            raise ValueError("predictions must hold the same number of scores for every example")
        gold = scores[np.arange(len(labels)), labels][:, None]
        ranks = (scores >= gold).sum(axis=1)
        n = scores.shape[1]
        out = {f"hits@{k}/{n}": float((ranks <= k).mean()) for k in ks}
        return {**out, "mrr": float((1.0 / ranks).mean()), "examples": int(ranks.size)}
