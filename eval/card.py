"""Model cards for fine-tuned NUP rankers: sentence-transformers' own card, extended; and the optional Hub push.

Why extend rather than write our own: `SentenceTransformer.save()` writes a README from its
`SentenceTransformerModelCardData` (architecture, usage snippet, widget examples, training-set statistics,
loss and all hyper-parameters, framework versions, the loss' citations). That is what Hub users expect of a
sentence-transformers model, so we keep it and add to it in two places:

- at training time (`training_card_data`): the card data object the model is built with carries our model
  name, license, language, base model and the training set's Hub id, so sentence-transformers writes them
  into its own body and header (`local_files_only`: nothing asks the Hub from inside training);
- after evaluation (`render_card`): the header gains `model-index` (one result per test set, each linked to
  the Hub dataset id it was measured on), `datasets`, our tags and the chosen license; the body gains one
  marked block (intended use, input format, training data, the NUP evaluation with its 95% intervals) and
  the paper's citation, the very `CITATION` the dataset card prints. Rewriting a card replaces only the
  marked parts, so it is idempotent.

A result is linked to a Hub dataset only when its id is known: a `hub:ID` source, the SPC release files
(`google/Synthetic-Persona-Chat`), or `--dataset-repo NAME=ID`. A result with no known id stays in the body
table with that reason and out of `model-index`; a display name is never written where a Hub id belongs.
Pushing uses the token huggingface_hub finds itself (`HF_TOKEN` or `hf auth login`); this module never
reads, prints or writes a token.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, TypedDict

from synthetic_persona_chat.builder.nup import NUM_CANDIDATES
from synthetic_persona_chat.builder.hub_calls import hub_call
from synthetic_persona_chat.builder.sources import CITATION, SPC_HUB_REPO
from synthetic_persona_chat.jsontypes import JsonObject
from synthetic_persona_chat.models.bundled import EMBEDDER_ALIASES, embedder_hub_id
from synthetic_persona_chat.readers.spc_csv import SPLIT_FILES

from .nup_result import NUPCell, NUPResult
from .nup_tables import interval_note, slug

log = logging.getLogger(__name__)

TEMPLATE = "ranker_card.md.j2"
BASE_MODEL_IDS = {alias: embedder_hub_id(alias) for alias in EMBEDDER_ALIASES}
NAME_PREFIX = "spc-nup-ranker"
DEFAULT_LICENSE = "apache-2.0"  # the license of the default base model, all-MiniLM-L6-v2
TAGS = ["sentence-transformers", "next-utterance-prediction", "persona-chat", "synthetic-persona-chat",
        "arxiv:2312.10007"]
BEGIN, END = "<!-- spc-nup-ranker:begin -->", "<!-- spc-nup-ranker:end -->"
CITE_BEGIN, CITE_END = "<!-- spc-citation:begin -->", "<!-- spc-citation:end -->"
ST_MODEL_ID_PLACEHOLDER = "sentence_transformers_model_id"  # what sentence-transformers writes before a push
_LICENSE_ID = re.compile(r"[a-z0-9][a-z0-9.+-]*")
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
SPC_FILE_SUFFIXES = (".csv",)
TASK_NAME = "Next-utterance prediction"  # model-index task name of our results (others' results are kept)


def template_text(name: str = TEMPLATE) -> str:
    return files("synthetic_persona_chat.model_cards").joinpath(name).read_text(encoding="utf-8")


def check_license(value: str) -> str:
    """A Hub license identifier ("apache-2.0", "mit", "cc-by-4.0", "other"): lower case, no spaces."""
    if not _LICENSE_ID.fullmatch(value or ""):
        raise ValueError(f"license {value!r} is not a Hub license identifier: use its id in lower case, "
                         "e.g. apache-2.0, mit, cc-by-4.0, cc-by-nc-4.0 or other")
    return value


def parse_dataset_repos(items: list[str]) -> dict[str, str]:
    """`--dataset-repo` values: `ID` (the generated run's dataset) or `NAME=ID` for a cross-table dataset."""
    out = {}
    for item in items or []:
        name, sep, repo = item.rpartition("=")
        name, repo = (name.strip() if sep else "generated"), repo.strip()
        if not _HUB_ID.fullmatch(repo):
            raise ValueError(f"--dataset-repo {item!r}: {repo!r} is not a Hub dataset id (namespace/name)")
        out[base_name(name)] = repo
    return out


def base_name(name: str) -> str:
    """"Persona-Chat test" -> "Persona-Chat": one Hub id names a dataset's train and test sides."""
    return name[:-5] if name.endswith(" test") else name


def model_name_for(train_name: str, prefix: str = NAME_PREFIX) -> str:
    return f"{prefix}-{slug(train_name)}"


def hub_ids(name: str, source: str, repos: dict[str, str] | None = None) -> list[str]:
    """The Hub dataset ids behind a cross-table dataset (several for a combined one such as SPC+Persona-Chat)."""
    names, sources = base_name(name).split("+"), str(source or "").split("+")
    if len(names) != len(sources):
        names = [base_name(name)] * len(sources)
    found = [hub_id(n, s, repos) for n, s in zip(names, sources)]
    return list(dict.fromkeys(f for f in found if f))


def hub_id(name: str, source: str, repos: dict[str, str] | None = None) -> str | None:
    """One dataset's Hub id: the user's `--dataset-repo`, a `hub:ID` source, or the SPC release's repo when the
    source is the release's CSV files (never the packaged sample of them); else None (no id is guessed)."""
    repos = repos or {}
    if base_name(name) in repos:
        return repos[base_name(name)]
    source = str(source or "")
    if source.startswith("hub:"):
        return source[4:].split("@")[0]
    if base_name(name) == "SPC" and _is_spc_release(source):
        return SPC_HUB_REPO
    return None


def _is_spc_release(source: str) -> bool:
    """The release's own files. Not the packaged sample (150 conversations of a split): a result measured
    on it, linked to google/Synthetic-Persona-Chat in model-index, read as a result on the release."""
    if source.startswith("spc-sample:"):
        return False
    if source.endswith(SPC_FILE_SUFFIXES):
        return True
    path = Path(source)
    return path.is_dir() and any((path / f).exists() for f in SPLIT_FILES.values())


def hub_split(source: str, default: str = "test") -> str:
    source = str(source or "")
    return source.split("@", 1)[1] if source.startswith("hub:") and "@" in source else default


def base_model_id(base_model: str) -> str | None:
    """The base model's Hub id; None for a local folder (a card never publishes a path of this machine)."""
    hub = BASE_MODEL_IDS.get(base_model, base_model)
    return None if Path(hub).exists() or not _HUB_ID.fullmatch(hub) else hub


class CardSettings(TypedDict, total=False):
    """The settings of an `eval_nup` run a model card reads (`asdict(NUPRunConfig)` holds them, among others)."""

    base_model: str
    license: str | None
    dataset_repos: dict[str, str] | None  # training/test set name -> its Hub dataset id


def training_card_data(train_name: str, source: str, config: CardSettings) -> Any:
    """sentence-transformers' card data for a model about to be trained (`finetune(..., card=...)`)."""
    from sentence_transformers import SentenceTransformerModelCardData

    ids = hub_ids(train_name, source, config.get("dataset_repos"))
    dataset = {"name": train_name, **({"id": ids[0]} if len(ids) == 1 else {})}
    data = SentenceTransformerModelCardData(
        language="en", license=check_license(config.get("license") or DEFAULT_LICENSE),
        model_name=model_name_for(train_name), train_datasets=[dataset], local_files_only=True,
        task_name="next-utterance prediction (response ranking)", generate_widget_examples=True)
    data.add_tags(TAGS)
    data.base_model = base_model_id(str(config.get("base_model", "minilm")))
    return data


@dataclass(kw_only=True)
class CardResult(NUPCell):
    """A fine-tuned model's cell as its card shows it: with the Hub dataset id and split it was measured on
    (None: no id known, so it stays out of `model-index`)."""

    dataset_id: str | None = None
    split: str = "test"


def eval_results(model_name: str, results: list[CardResult]) -> list[Any]:
    """model-index entries: one per metric of each result that ran and has a Hub dataset id."""
    from huggingface_hub.repocard_data import EvalResult

    out = []
    for r in results:
        if not r.metrics or not r.dataset_id:
            continue  # a cell that did not run has no result; one with no Hub id is not linked to a name
        for key, mtype in ((f"hits@1/{NUM_CANDIDATES}", "hits_at_1"), (f"hits@5/{NUM_CANDIDATES}", "hits_at_5"),
                           ("mrr", "mrr")):
            out.append(EvalResult(task_type="text-ranking", task_name=TASK_NAME,
                                  dataset_type=r.dataset_id, dataset_name=r.test,
                                  dataset_split=r.split, metric_type=mtype, metric_name=key,
                                  metric_value=round(float(r.metrics[key]), 4)))
    return out


def card_data(model_name: str, base_model: str, results: list[CardResult], datasets: list[str],
              license: str = DEFAULT_LICENSE, existing: JsonObject | None = None) -> Any:
    """The YAML header: sentence-transformers' keys (`existing`) kept, ours added; license and model-index ours."""
    from huggingface_hub import ModelCardData
    from huggingface_hub.repocard_data import model_index_to_eval_results

    meta = dict(existing or {})
    previous = meta.pop("model-index", None)
    old_results = model_index_to_eval_results(previous)[1] if previous else []  # e.g. a trainer evaluator's
    ours = eval_results(model_name, results)
    keep = [e for e in old_results or [] if e.task_name != TASK_NAME]  # ours are rewritten, others kept
    meta["license"] = check_license(license)
    meta["language"] = meta.get("language") or ["en"]
    meta["library_name"] = meta.get("library_name") or "sentence-transformers"
    meta["pipeline_tag"] = meta.get("pipeline_tag") or "sentence-similarity"
    base = base_model_id(base_model)
    if base:
        meta["base_model"] = base
    else:
        meta.pop("base_model", None)
    meta["datasets"] = list(dict.fromkeys([*(meta.get("datasets") or []), *datasets])) or None
    meta["tags"] = list(dict.fromkeys([*(meta.get("tags") or []), *TAGS]))
    return ModelCardData(**meta, model_name=model_name, eval_results=(keep + ours) or None)


def card_results(nup_result: NUPResult, train_name: str) -> list[CardResult]:
    """The fine-tuned model's cells, each with the Hub dataset id and split it was measured on (or None)."""
    repos = nup_result.config.get("dataset_repos") or {}
    out = []
    for c in nup_result.cells:
        if c.ranker != "fine-tuned" or c.train != train_name:
            continue
        info = nup_result.test_sets.get(c.test)
        source = (info.source if info else None) or ""
        out.append(CardResult(ranker=c.ranker, train=c.train, test=c.test, metrics=c.metrics, not_run=c.not_run,
                              intervals=c.intervals, dataset_id=hub_id(c.test, source, repos),
                              split=hub_split(source)))
    return out


def render_block(model_name: str, train_name: str, nup_result: NUPResult, results: list[CardResult],
                 template: str | None = None) -> str:
    """Our part of the body (between BEGIN and END), from `model_cards/ranker_card.md.j2`."""
    from jinja2 import Environment, StrictUndefined

    cfg = nup_result.config
    model = nup_result.models[train_name]
    train_info = nup_result.train_sets[train_name]
    hyper = {k: cfg[k] for k in ("base_model", "epochs", "batch_size", "learning_rate", "warmup_ratio",
                                 "max_seq_length", "scale", "seed", "max_history", "max_train_conversations")}
    train_ids = hub_ids(train_name, train_info.source or "", cfg.get("dataset_repos"))
    env = Environment(undefined=StrictUndefined, keep_trailing_newline=True)
    return env.from_string(template or template_text()).render(
        model_name=model_name, base_model=base_model_id(hyper["base_model"]) or hyper["base_model"],
        hyperparameters=hyper, results=results, seconds=model.seconds,
        examples_per_second=model.examples_per_second,
        interval_note=interval_note(results, train_name if nup_result.preset == "paper" else None),
        train_loss=f"{model.train_loss:.4f}" if model.train_loss is not None else "n/a",
        training_data=[{"name": train_name, "hub_ids": train_ids, "conversations": train_info.conversations,
                        "of": train_info.of, "examples": train_info.examples}]).strip() + "\n"


def render_card(model_name: str, train_name: str, nup_result: NUPResult | dict, template: str | None = None,
                existing: str | None = None, repo_id: str | None = None) -> str:
    """Card text for the ranker fine-tuned on `train_name` in a cross-table result (`crosstable.cross_table`,
    or the `nup.json` object), extending `existing` (the README sentence-transformers wrote) when given."""
    from huggingface_hub import ModelCard

    nup_result = NUPResult.from_json(nup_result)
    cfg = nup_result.config
    results = card_results(nup_result, train_name)
    for r in results:
        if r.metrics and not r.dataset_id:
            log.warning("%s: result on %r is not in model-index: no Hub dataset id (pass --dataset-repo "
                        "'%s=<namespace/name>')", model_name, r.test, base_name(r.test))
    train_source = nup_result.train_sets[train_name].source or ""
    card = ModelCard(existing) if existing and existing.startswith("---") else None
    meta = card.data.to_dict() if card is not None else {}
    body = card.text if card is not None else (existing or f"# {model_name}\n")
    data = card_data(model_name, cfg["base_model"], results,
                     hub_ids(train_name, train_source, cfg.get("dataset_repos")),
                     cfg.get("license") or DEFAULT_LICENSE, meta)
    body = _with_block(body, render_block(model_name, train_name, nup_result, results, template))
    body = _with_citation(body)
    # sentence-transformers' usage snippet: the repo once pushed, else the folder the model was saved in
    local = f"path/to/{model_name}"
    for placeholder in (ST_MODEL_ID_PLACEHOLDER, local):
        body = body.replace(f'"{placeholder}"', f'"{repo_id or local}"')
    return f"---\n{data.to_yaml()}\n---\n\n{body.lstrip()}"


def _replace_marked(text: str, begin: str, end: str, new: str) -> str | None:
    if begin in text and end in text:
        return text[:text.index(begin)] + new + text[text.index(end) + len(end):]
    return None


def _with_block(body: str, block: str) -> str:
    """Our block after sentence-transformers' opening paragraph, before its "## Model Details"."""
    marked = f"{BEGIN}\n{block}{END}"
    replaced = _replace_marked(body, BEGIN, END, marked)
    if replaced is not None:
        return replaced
    at = body.find("\n## ")
    if at < 0:
        return body.rstrip() + "\n\n" + marked + "\n"
    return body[:at].rstrip() + "\n\n" + marked + "\n" + body[at:]


def _with_citation(body: str) -> str:
    """The paper's BibTeX (the dataset card's `CITATION`) first in sentence-transformers' "### BibTeX" list."""
    entry = f"{CITE_BEGIN}\n#### Synthetic-Persona-Chat\n```bibtex\n{CITATION.strip()}\n```\n{CITE_END}"
    replaced = _replace_marked(body, CITE_BEGIN, CITE_END, entry)
    if replaced is not None:
        return replaced
    for anchor in ("### BibTeX\n", "## Citation\n"):
        at = body.find(anchor)
        if at >= 0:
            at += len(anchor)
            return body[:at] + "\n" + entry + "\n" + body[at:]
    return body.rstrip() + "\n\n## Citation\n\n" + entry + "\n"


def write_cards(nup_result: NUPResult | dict, name_prefix: str = NAME_PREFIX,
                repo_ids: dict[str, str] | None = None) -> dict[str, Path]:
    """Extend the README.md in every fine-tuned model's folder; returns train set -> card path."""
    nup_result = NUPResult.from_json(nup_result)
    out = {}
    for train_name, model in nup_result.models.items():
        path = Path(model.path) / "README.md"
        existing = path.read_text(encoding="utf-8") if path.exists() else None
        if existing is None:
            log.warning("%s has no README from sentence-transformers; the card holds our sections only", path)
        text = render_card(model_name_for(train_name, name_prefix), train_name, nup_result, existing=existing,
                           repo_id=(repo_ids or {}).get(train_name))
        path.write_text(text, encoding="utf-8")
        out[train_name] = path
    return out


def push_model(model_dir: str | Path, repo_id: str, private: bool = True) -> str:
    """Upload a model folder with its card; the token comes from huggingface_hub's own lookup."""
    from huggingface_hub import HfApi

    api = HfApi()
    hub_call(f"creating model repo {repo_id}", api.create_repo, repo_id, repo_type="model", private=private,
             exist_ok=True)
    info = hub_call(f"uploading the model to {repo_id}", api.upload_folder, repo_id=repo_id,
                    folder_path=str(model_dir), repo_type="model",
                    commit_message="Upload NUP ranker (synthetic-persona-chat eval)",
                    state="nothing of this model was published (one commit or none); rerun the same command")
    return str(getattr(info, "commit_url", info))
