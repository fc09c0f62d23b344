"""Model cards for fine-tuned rankers, from `model_cards/ranker_card.md.j2`, and the optional Hub push.

The YAML header (including `model-index`) is built with huggingface_hub's `ModelCardData` /
`EvalResult`, so it is valid Hub metadata by construction; the template lays out the prose.
Pushing uses the token huggingface_hub finds itself (`HF_TOKEN` or `hf auth login`); this module
never reads, prints or writes a token.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from synthetic_persona_chat.models.bundled import EMBEDDER_ALIASES, embedder_hub_id

TEMPLATE = "ranker_card.md.j2"
BASE_MODEL_IDS = {alias: embedder_hub_id(alias) for alias in EMBEDDER_ALIASES}


def template_text(name: str = TEMPLATE) -> str:
    return files("synthetic_persona_chat.model_cards").joinpath(name).read_text(encoding="utf-8")


def card_data(model_name: str, base_model: str, results: list[dict[str, Any]], datasets: list[str]) -> Any:
    from huggingface_hub import ModelCardData
    from huggingface_hub.repocard_data import EvalResult

    evals = []
    for r in results:
        if not r.get("metrics"):
            continue  # a cell that did not run has no result, never a made-up one
        for key, mtype in (("hits@1/20", "hits_at_1"), ("hits@5/20", "hits_at_5"), ("mrr", "mrr")):
            evals.append(EvalResult(task_type="text-ranking", task_name="Next-utterance prediction",
                                    dataset_type=r.get("dataset_type") or r["test"], dataset_name=r["test"],
                                    dataset_split="test", metric_type=mtype, metric_name=key,
                                    metric_value=round(float(r["metrics"][key]), 4)))
    return ModelCardData(model_name=model_name, base_model=BASE_MODEL_IDS.get(base_model, base_model),
                         language="en", license="apache-2.0", library_name="sentence-transformers",
                         pipeline_tag="sentence-similarity", datasets=[d for d in datasets if "/" in d] or None,
                         tags=["sentence-transformers", "next-utterance-prediction", "persona-chat",
                               "synthetic-persona-chat"],
                         eval_results=evals or None)


def render_card(model_name: str, train_name: str, nup_result: dict[str, Any], template: str | None = None) -> str:
    """Card text for the ranker fine-tuned on `train_name` in a cross-table result (`crosstable.run_cross_table`)."""
    from jinja2 import Environment, StrictUndefined

    cfg = nup_result["config"]
    model = nup_result["models"][train_name]
    train_info = nup_result["train_sets"][train_name]
    results = [{"test": c["test"], "metrics": c.get("metrics"), "not_run": c.get("not_run"),
                "intervals": c.get("intervals")}
               for c in nup_result["cells"] if c["ranker"] == "fine-tuned" and c["train"] == train_name]
    sources = [s for s in str(train_info.get("source", "")).split("+") if s]
    hub_ids = [s[4:].split("@")[0] for s in sources if s.startswith("hub:")]
    data = card_data(model_name, cfg["base_model"], results, hub_ids)
    hyper = {k: cfg[k] for k in ("base_model", "epochs", "batch_size", "learning_rate", "warmup_ratio",
                                 "max_seq_length", "scale", "seed", "max_history", "max_train_conversations")}
    env = Environment(undefined=StrictUndefined, keep_trailing_newline=True)
    return _with_intervals(env.from_string(template or template_text()).render(
        card_data=data.to_yaml(), model_name=model_name, base_model=hyper["base_model"],
        hyperparameters=hyper, results=results, seconds=model["seconds"],
        examples_per_second=model["examples_per_second"],
        train_loss=f"{model['train_loss']:.4f}" if model.get("train_loss") is not None else "n/a",
        training_data=[{"name": train_name, "source": train_info.get("source", ""),
                        "conversations": train_info.get("conversations"), "of": train_info.get("of"),
                        "examples": train_info.get("examples")}]), results)


def _with_intervals(text: str, results: list[dict[str, Any]]) -> str:
    """The 95% intervals (`crosstable.interval_note`) right after the card's Evaluation table."""
    from .crosstable import interval_note

    note = interval_note(results)
    if not note:
        return text
    at = text.find("\n## Citation")
    return text + note if at < 0 else text[:at] + note + text[at:]


def write_cards(nup_result: dict[str, Any], name_prefix: str = "spc-nup-ranker") -> dict[str, Path]:
    """README.md (the card) in every fine-tuned model's folder; returns train set -> card path."""
    from .crosstable import slug

    out = {}
    for train_name, model in nup_result["models"].items():
        path = Path(model["path"]) / "README.md"
        path.write_text(render_card(f"{name_prefix}-{slug(train_name)}", train_name, nup_result), encoding="utf-8")
        out[train_name] = path
    return out


def push_model(model_dir: str | Path, repo_id: str, private: bool = True) -> str:
    """Upload a model folder with its card; the token comes from huggingface_hub's own lookup."""
    from huggingface_hub import HfApi

    from synthetic_persona_chat.builder.hub_calls import hub_call

    api = HfApi()
    hub_call(f"creating model repo {repo_id}", api.create_repo, repo_id, repo_type="model", private=private,
             exist_ok=True)
    info = hub_call(f"uploading the model to {repo_id}", api.upload_folder, repo_id=repo_id,
                    folder_path=str(model_dir), repo_type="model",
                    commit_message="Upload NUP ranker (synthetic-persona-chat eval)",
                    state="nothing of this model was published (one commit or none); rerun the same command")
    return str(getattr(info, "commit_url", info))
