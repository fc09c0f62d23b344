"""The dataset card (README.md) of an export: YAML metadata (`DatasetCardData`) + a generated description.

The body comes from `model_cards/dataset_card.md.j2`. The generated part sits between two markers, so a
rebuild replaces only that part: a card the user already edited keeps their text and their metadata
values (license, tags, ...); only `configs:` (which must match the files) is always ours.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, TypedDict

import datasets
import jinja2
import yaml
from datasets.info import DatasetInfo, DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard, DatasetCardData

from synthetic_persona_chat import __version__
from synthetic_persona_chat.eval.stats import fmt, proportion
from synthetic_persona_chat.jsontypes import JsonObject
from synthetic_persona_chat.text import tokens

from .skips import SKIP_FILE, SkipClass, SkipRecord, skip_groups
from .sources import CITATION, SPC_HUB_REPO, AttributeRow, Source, public_name

BEGIN = "<!-- BEGIN spc-generated: rebuilt by `spc build`; edit outside these markers -->"
END = "<!-- END spc-generated -->"
LICENSE_TEXT = {
    "cc-by-4.0": "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/), as the Synthetic-Persona-Chat release "
                 "it derives from (Google Research). Attribute SPC and cite the paper below when you use it.",
}
ARXIV_URL = "https://arxiv.org/abs/2312.10007"
SOURCE_URL = "https://github.com/google-research-datasets/Synthetic-Persona-Chat"
# `spc push --repo` writes the repo id here; `spc push --dry-run` flags it while it is still in the card
REPO_PLACEHOLDER = "YOUR_NAMESPACE/YOUR_DATASET"


class CardConfig(TypedDict):
    """One built config as the export hands it to the card: its rows, Arrow bytes and Parquet file per split,
    and its features (for the `configs:` and `dataset_info:` metadata and the config table)."""

    name: str
    description: str
    rows: dict[str, int]
    bytes: dict[str, int]
    files: dict[str, str]  # split -> Parquet path in the export
    features: datasets.Features


@dataclass
class SplitStatistics:
    """The card's statistics row of one split."""

    split: str
    conversations: int
    mean_turns: float
    mean_words: float  # per utterance, `text.tokens` as the eval counts them
    vocabulary: int


@dataclass
class CardContext:
    """Everything the card's template and metadata read, worked out once from the source and the build (the
    template reads these fields by name)."""

    pretty_name: str
    summary: str
    version: str
    source_kind: str
    from_spc: bool
    source_location: str
    package_version: str
    license: str
    license_text: str
    citation: str
    arxiv: str
    repository: str
    hub_release: str
    repo_hint: str
    default_config: str
    configs: list[CardConfig]
    all_splits: list[str]
    skipped_configs: dict[str, str]  # config -> why it was not built
    shared_files: list[str]
    num_candidates: int
    nup_seed: int
    statistics: list[SplitStatistics]
    conversations: int
    personas: dict[str, int] | None
    generation_config: str | None  # the run's config.yaml, as YAML text
    generation_note: str
    models: dict[str, str]  # role -> the model, as a table cell
    pass_rates: list[dict[str, str]]  # `pass_rate_rows`: table cells
    generator_mode: str | None
    skips: list[SkipClass]
    skip_classes_left_out: int
    skips_total: int
    skip_file: str


def statistics(source: Source) -> list[SplitStatistics]:
    """Per split: conversations, mean turns, mean words per utterance, vocabulary (`text.tokens`, as the eval)."""
    out = []
    for split, conversations in source.conversations.items():
        turns = [len(c.turns) for c in conversations]
        words = [len(tokens(t.text)) for c in conversations for t in c.turns]
        vocab = {w for c in conversations for t in c.turns for w in tokens(t.text)}
        out.append(SplitStatistics(split=split, conversations=len(conversations),
                                   mean_turns=sum(turns) / max(len(turns), 1),
                                   mean_words=sum(words) / max(len(words), 1), vocabulary=len(vocab)))
    return out


def persona_summary(persona_rows: list[AttributeRow] | None) -> dict[str, int] | None:
    if not persona_rows:
        return None
    origins = Counter(r.get("origin") for r in persona_rows)
    categories = {r.get("category") for r in persona_rows if r.get("category") is not None}
    return {"attributes": len(persona_rows), "seed": origins.get("seed", 0),
            "generated": origins.get("generated", 0), "categories": len(categories)}


def skip_table(skips: list[SkipRecord]) -> tuple[list[SkipClass], int]:
    """Card rows of the skipped records, by reason class (`skips.skip_groups`), as table cells."""
    rows, more = skip_groups(skips)
    return [SkipClass(r, reason=_cell(r["reason"]), example=_cell(r["example"])) for r in rows], more


def card_context(source: Source, *, version: str, license: str, configs: list[CardConfig],
                 skipped_configs: dict[str, str], persona_rows: list[AttributeRow] | None,
                 nup_seed: int, num_candidates: int, repo_hint: str | None = None) -> CardContext:
    all_splits = list(dict.fromkeys(s for c in configs for s in c["rows"]))  # every split, in build order
    from_spc = source.kind == "spc"
    skips, skip_classes_left_out = skip_table(source.skips)
    summary = ("The Synthetic-Persona-Chat (SPC) release, packaged with typed configs by the synthetic-persona-chat "
               "toolkit: persona-based conversations generated with the Generator-Critic framework of Jandaghi "
               "et al. (arXiv 2312.10007)." if from_spc else
               "A persona-based conversational dataset generated with the synthetic-persona-chat toolkit "
               "(Generator-Critic framework of Jandaghi et al., arXiv 2312.10007): expanded seed personas, "
               "paired users, and conversations a Generator LLM wrote and a Critic (faithfulness, toxicity and "
               "quality experts) selected.")
    return CardContext(
        pretty_name="Synthetic-Persona-Chat" if from_spc else "Synthetic persona-based conversations",
        summary=summary, version=version, source_kind="SPC release CSVs" if from_spc else "run directory",
        from_spc=from_spc, source_location=public_name(source), package_version=__version__,
        license=license, license_text=LICENSE_TEXT.get(license, f"{license} (set by the publisher)."),
        citation=CITATION, arxiv=ARXIV_URL, repository=SOURCE_URL, hub_release=SPC_HUB_REPO,
        repo_hint=repo_hint or REPO_PLACEHOLDER, default_config=configs[0]["name"] if configs else "full",
        configs=configs, all_splits=all_splits, skipped_configs=skipped_configs,
        shared_files=_shared_files(configs),
        num_candidates=num_candidates, nup_seed=nup_seed, statistics=statistics(source),
        conversations=sum(len(c) for c in source.conversations.values()),
        personas=persona_summary(persona_rows),
        generation_config=compact_yaml(source.config) if source.config else None,
        generation_note=("Generated by Google Research for the SPC release (Generator-Critic framework, see the "
                         "paper); no run configuration is available for it." if from_spc else
                         "The run directory holds no config.yaml."),
        models={role: _describe_model(desc) for role, desc in (source.models or {}).items()},
        pass_rates=pass_rate_rows(source),
        # how the Generator wrote each conversation, `auto` resolved (docs/generation.md, "Generator modes")
        generator_mode=source.summary.generator_mode if source.summary else None,
        skips=skips, skip_classes_left_out=skip_classes_left_out,
        skips_total=len(source.skips), skip_file=SKIP_FILE)


def render_body(context: CardContext) -> str:
    template = files("synthetic_persona_chat.model_cards").joinpath("dataset_card.md.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    return env.from_string(template).render(**vars(context)).strip() + "\n"


def metadata(context: CardContext) -> DatasetCardData:
    """The YAML header, through huggingface_hub's `DatasetCardData` and `datasets`' own writers of `configs:`
    and `dataset_info:` (the ones `push_to_hub` uses), so the Hub reads it as it reads its own."""
    from_spc = context.from_spc
    data = DatasetCardData(
        license=context.license, language=["en"], pretty_name=context.pretty_name,
        annotations_creators=["machine-generated"], language_creators=["machine-generated"],
        multilinguality=["monolingual"], size_categories=[_size_category(context.conversations)],
        source_datasets=["original"] if from_spc else [f"extended|{SPC_HUB_REPO}"],
        task_categories=["text-generation"], task_ids=["dialogue-modeling"],
        tags=["dialogue", "persona", "synthetic", "conversational", "arxiv:2312.10007"])
    configs = MetadataConfigs({c["name"]: {**({"default": True} if i == 0 else {}),
                                           "data_files": [{"split": s, "path": f} for s, f in c["files"].items()]}
                               for i, c in enumerate(context.configs)})
    configs.to_dataset_card_data(data)
    DatasetInfosDict({c["name"]: _info(c) for c in context.configs}).to_dataset_card_data(data)
    return data


def _info(config: CardConfig) -> DatasetInfo:
    """One config's `dataset_info`: features, and per split its rows and Arrow bytes (never 0 for data)."""
    nbytes = config.get("bytes", {})
    return DatasetInfo(features=config["features"], splits=_split_dict(config["rows"], nbytes),
                       dataset_size=sum(nbytes.values()))


def compose(context: CardContext, existing: str | None = None) -> str:
    """README.md text: ours when new; merged into the user's card when one exists."""
    ours, body = metadata(context).to_dict(), f"{BEGIN}\n{render_body(context)}{END}\n"
    if not existing:
        return _with_metadata(ours, body)
    card = DatasetCard(existing)
    meta = card.data.to_dict() if card.data else {}
    for key, value in ours.items():
        if key in ("configs", "dataset_info") or key not in meta:
            meta[key] = value  # configs and dataset_info must match the files; everything else the user set stays
    text = card.text or ""
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + body.rstrip("\n") + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + ("\n\n" if text.strip() else "") + body
    return _with_metadata(meta, text)


def _with_metadata(meta: JsonObject, body: str) -> str:  # the card's YAML header: free-form, user keys kept
    return f"---\n{compact_yaml(DatasetCardData(**meta).to_dict())}---\n\n{body.lstrip()}"


class _Flow(list):
    """A list the card's YAML writes on one line: a config's features, splits or data files."""


class _CardDumper(yaml.SafeDumper):
    pass


_CardDumper.add_representer(_Flow, lambda dumper, data: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", list(data), flow_style=True))


def compact_yaml(data: Any) -> str:
    """YAML with each innermost mapping or list on one line (`{name: id, dtype: string}`), and each config's
    features, splits and data files on one line: in block style the header of eight configs alone took 270
    lines, and the card is read by people too. Parsers read both styles alike."""
    if isinstance(data, dict):
        data = {**data, **{key: [_flow_entry(e) for e in data[key]] for key in ("configs", "dataset_info")
                           if isinstance(data.get(key), list)}}
    return yaml.dump(data, Dumper=_CardDumper, sort_keys=False, default_flow_style=None, allow_unicode=True,
                     width=10**6)


def _flow_entry(entry: Any) -> Any:
    if not isinstance(entry, dict):
        return entry
    return {k: _Flow(v) if k in ("features", "splits", "data_files") and isinstance(v, list) else v
            for k, v in entry.items()}


def _split_dict(rows: dict[str, int], nbytes: dict[str, int]) -> datasets.SplitDict:
    splits = datasets.SplitDict()
    for name, n in rows.items():
        splits.add(datasets.SplitInfo(name=name, num_examples=n, num_bytes=nbytes.get(name, 0)))
    return splits


def _shared_files(configs: list[CardConfig]) -> list[str]:
    """'`persona-chat-compatible` reads `full`'s files': configs that hold no file of their own."""
    owner = {}
    for c in configs:
        for path in c["files"].values():
            owner.setdefault(path, c["name"])
    out = []
    for c in configs:
        others = sorted({owner[p] for p in c["files"].values() if owner[p] != c["name"]})
        if others:
            out.append(f"`{c['name']}` reads the files of `{'`, `'.join(others)}` (the same rows, stored once)")
    return out


def pass_rate_rows(source: Source) -> list[dict[str, str]]:
    """Each Critic expert's pass rate with its count and Wilson 95% interval: a rate over a few candidates
    (a small run) must not read like a measured property of the generator."""
    counts = source.critic_counts
    rows = []
    for expert, rate in source.pass_rates.items():
        n = counts.get(expert)
        if isinstance(rate, (int, float)) and n:
            passed = round(rate * n)
            rows.append({"expert": str(expert), "passed": f"{passed}/{n}", "rate": fmt(proportion(passed, n, "candidates"))})
        else:
            rows.append({"expert": str(expert), "passed": "—", "rate": _rate(rate)})
    return rows


def _describe_model(desc: Any) -> str:
    if not isinstance(desc, dict):
        return _cell(str(desc))
    name = desc.get("model") or desc.get("name") or desc.get("path") or desc.get("id") or ""
    extra = ", ".join(f"{k}: {desc[k]}" for k in ("backend", "device", "size") if desc.get(k) not in (None, ""))
    return _cell(f"`{name}`" + (f" ({extra})" if extra else ""))


def _rate(value: Any) -> str:
    if isinstance(value, float) and 0 <= value <= 1:
        return f"{100 * value:.1f}%"
    if isinstance(value, dict):
        return _cell(", ".join(f"{k}: {_rate(v)}" for k, v in value.items()))
    return _cell(str(value))


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _size_category(n: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                         (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < limit:
            return label
    return "10M<n<100M"
