"""The model card of a persona chatbot fine-tuned by `spc eval sft`: README.md in the model's folder.

The YAML header is huggingface_hub's `ModelCardData`: license, base model (the Hub id of the bundled
SmolLM2, never a local path), `datasets` (the training set's Hub ids: how the Hub links a model to the data
it was trained on) and a `model-index` with one result per metric on each test set whose Hub id is known,
each result naming that test dataset's id and split. As with the ranker cards (`card.py`, whose id rules
this module reuses), a dataset with no known Hub id stays in the body table and out of the metadata.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthetic_persona_chat.builder.sources import CITATION
from synthetic_persona_chat.jsontypes import JsonObject

from .card import check_license, hub_id, hub_ids, hub_split, model_name_for
from .figures import DataSetInfo, Estimate
from .generative_result import GenerativeCell, SFTModel
from .sft import SFTRunConfig, base_hub_id

NAME_PREFIX = "spc-persona-chatbot"
TASK_NAME = "Persona-grounded response generation"
TAGS = ["trl", "sft", "persona-chat", "synthetic-persona-chat", "conversational", "arxiv:2312.10007"]
# (metrics key, model-index metric type, display name)
METRICS = (("perplexity", "perplexity", "perplexity of the gold reply"),
           ("hits@1", "hits_at_1", "hits@1/20 by likelihood"), ("f1", "f1", "unigram F1 (ParlAI)"),
           ("contradiction", "contradiction_rate", "persona contradiction rate"))


def _block(train: str, test: str, metrics: JsonObject, key: str) -> Estimate | None:
    return GenerativeCell(train=train, test=test, metrics=metrics).estimate(key)


def _text(est: Estimate | None) -> str:
    return est.text() if est is not None else "—"


def eval_results(model_name: str, measured: dict[str, JsonObject], test_sources: dict[str, str],
                 repos: dict[str, str]) -> list[Any]:
    """model-index entries: every metric of every test set that ran and has a Hub dataset id."""
    from huggingface_hub.repocard_data import EvalResult

    out = []
    for test, metrics in measured.items():
        dataset_id = hub_id(test, test_sources.get(test, ""), repos)
        if not dataset_id:
            continue
        for key, mtype, name in METRICS:
            block = _block(model_name, test, metrics, key)
            if block and block.value is not None:
                out.append(EvalResult(task_type="text-generation", task_name=TASK_NAME, dataset_type=dataset_id,
                                      dataset_name=test, dataset_split=hub_split(test_sources.get(test, "")),
                                      metric_type=mtype, metric_name=name, metric_value=round(float(block.value), 4)))
    return out


def render_card(train_name: str, train_info: DataSetInfo, model: SFTModel,
                measured: dict[str, JsonObject], config: SFTRunConfig, test_sources: dict[str, str]) -> str:
    """README.md text: YAML header (with model-index) and a body with the intervals behind each figure."""
    from huggingface_hub import ModelCardData

    name = model_name_for(train_name, NAME_PREFIX)
    train_ids = hub_ids(train_name, train_info.source or "", config.dataset_repos)
    test_ids = [hub_id(t, test_sources.get(t, ""), config.dataset_repos) for t in measured]
    data = ModelCardData(language=["en"], license=check_license(config.license), library_name="transformers",
                         pipeline_tag="text-generation", base_model=base_hub_id(config.base_model),
                         datasets=list(dict.fromkeys(train_ids + [t for t in test_ids if t])) or None, tags=TAGS,
                         model_name=name, eval_results=eval_results(name, measured, test_sources,
                                                                     config.dataset_repos) or None)
    rows = [f"| {t} | " + " | ".join(_text(_block(train_name, t, m, k)) for k, _, _ in METRICS) + f" | {m['examples']} |"
            for t, m in measured.items()]
    body = (f"# {name}\n\n{base_hub_id(config.base_model) or config.base_model} fine-tuned with TRL's `SFTTrainer` "
            f"on the `messages` rows of **{train_name}** ({', '.join(train_ids) or 'no Hub id known'}; "
            f"{train_info.conversations} of {train_info.of} conversations): the system message holds "
            f"the speaker's persona, the loss covers the assistant turns only. {model.steps} steps, "
            f"{model.train_tokens:,} tokens, {model.seconds:.0f} s, seed {config.seed}, "
            f"{'LoRA r=%d' % config.lora_r if config.lora else 'all weights'}, learning rate {config.learning_rate}.\n\n"
            "## Evaluation (ConvAI2's generative metrics, 95% intervals: bootstrap over conversations)\n\n"
            "| test set | " + " | ".join(n for _, _, n in METRICS) + " | examples |\n|---|" + "---|" * (len(METRICS) + 1)
            + "\n" + "\n".join(rows) + "\n\n## Citation\n\n```bibtex\n" + CITATION.strip() + "\n```\n")
    return f"---\n{data.to_yaml()}\n---\n\n{body}"


def write_card(train_name: str, train_info: DataSetInfo | dict, model: SFTModel | dict,
               measured: dict[str, JsonObject], config: SFTRunConfig, test_sources: dict[str, str]) -> Path:
    """README.md in the model's folder; `train_info` and `model` may be their `generative.json` objects."""
    train_info, model = DataSetInfo.from_json(train_info), SFTModel.from_json(model)
    path = Path(model.path) / "README.md"
    path.write_text(render_card(train_name, train_info, model, measured, config, test_sources), encoding="utf-8")
    return path
