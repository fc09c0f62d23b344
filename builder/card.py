"""The dataset card (README.md) of an export: YAML metadata with `configs:` + a generated description.

The body comes from `model_cards/dataset_card.md.j2`. The generated part sits between two markers, so a
rebuild replaces only that part: a card the user already edited keeps their text and their metadata
values (license, tags, ...); only `configs:` (which must match the files) is always ours.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from importlib.resources import files
from typing import Any

import jinja2
import yaml
from huggingface_hub import DatasetCard

from synthetic_persona_chat import __version__

from .sources import Source

BEGIN = "<!-- BEGIN spc-generated: rebuilt by `spc build`; edit outside these markers -->"
END = "<!-- END spc-generated -->"
CITATION = """@misc{jandaghi2023faithful,
      title={Faithful Persona-based Conversational Dataset Generation with Large Language Models},
      author={Pegah Jandaghi and XiangHai Sheng and Xinyi Bai and Jay Pujara and Hakim Sidahmed},
      year={2023},
      eprint={2312.10007},
      archivePrefix={arXiv},
      primaryClass={cs.CL}
}
"""
LICENSE_TEXT = {
    "cc-by-4.0": "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/), as the Synthetic-Persona-Chat release "
                 "it derives from (Google Research). Attribute SPC and cite the paper below when you use it.",
}
_WORD = re.compile(r"\w+(?:'\w+)?")
MAX_WHERE = 5


def statistics(source: Source) -> list[dict[str, Any]]:
    """Per split: conversations, mean turns, mean words per utterance, vocabulary (distinct lowercased words)."""
    out = []
    for split, conversations in source.conversations.items():
        turns = [len(c.turns) for c in conversations]
        words = [len(_WORD.findall(t.text)) for c in conversations for t in c.turns]
        vocab = {w.lower() for c in conversations for t in c.turns for w in _WORD.findall(t.text)}
        out.append({"split": split, "conversations": len(conversations),
                    "mean_turns": sum(turns) / max(len(turns), 1), "mean_words": sum(words) / max(len(words), 1),
                    "vocabulary": len(vocab)})
    return out


def persona_summary(persona_rows: list[dict[str, Any]] | None) -> dict[str, int] | None:
    if not persona_rows:
        return None
    origins = Counter(r.get("origin") for r in persona_rows)
    categories = {r.get("category") for r in persona_rows if r.get("category") is not None}
    return {"attributes": len(persona_rows), "seed": origins.get("seed", 0),
            "generated": origins.get("generated", 0), "categories": len(categories)}


def skip_table(skips: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[str]] = {}
    for s in skips:
        groups.setdefault((str(s.get("stage", "")), str(s.get("reason", ""))), []).append(
            f"{os.path.basename(str(s.get('source', '')))} {s.get('locator', '')}".strip())
    return [{"stage": stage, "reason": _cell(reason), "count": len(where),
             "where": "; ".join(_cell(w) for w in where[:MAX_WHERE]) + (" ..." if len(where) > MAX_WHERE else "")}
            for (stage, reason), where in sorted(groups.items(), key=lambda kv: -len(kv[1]))]


def card_context(source: Source, *, version: str, license: str, configs: list[dict[str, Any]],
                 skipped_configs: dict[str, str], persona_rows: list[dict[str, Any]] | None,
                 nup_seed: int, num_candidates: int, repo_hint: str = "NAMESPACE/NAME") -> dict[str, Any]:
    all_splits = [s for s in ("train", "validation", "test", "synthetic")
                  if any(s in c["rows"] for c in configs)]
    from_spc = source.kind == "spc"
    summary = ("The Synthetic-Persona-Chat (SPC) release, packaged with typed configs by the synthetic-persona-chat "
               "toolkit: persona-based conversations generated with the Generator-Critic framework of Jandaghi "
               "et al. (arXiv 2312.10007)." if from_spc else
               "A persona-based conversational dataset generated with the synthetic-persona-chat toolkit "
               "(Generator-Critic framework of Jandaghi et al., arXiv 2312.10007): expanded seed personas, "
               "paired users, and conversations a Generator LLM wrote and a Critic (faithfulness, toxicity and "
               "quality experts) selected.")
    return {
        "pretty_name": "Synthetic-Persona-Chat" if from_spc else "Synthetic persona-based conversations",
        "summary": summary, "version": version, "source_kind": "SPC release CSVs" if from_spc else "run directory",
        "source_location": source.location, "package_version": __version__, "license": license,
        "license_text": LICENSE_TEXT.get(license, f"{license} (set by the publisher)."), "citation": CITATION,
        "repo_hint": repo_hint, "default_config": configs[0]["name"] if configs else "full",
        "configs": configs, "all_splits": all_splits, "skipped_configs": skipped_configs,
        "num_candidates": num_candidates, "nup_seed": nup_seed, "statistics": statistics(source),
        "personas": persona_summary(persona_rows),
        "generation_config": yaml.safe_dump(source.config, sort_keys=False) if source.config else None,
        "generation_note": ("Generated by Google Research for the SPC release (Generator-Critic framework, see the "
                            "paper); no run configuration is available for it." if from_spc else
                            "The run directory holds no config.yaml."),
        "models": {role: _describe_model(desc) for role, desc in (source.models or {}).items()},
        "pass_rates": {str(k): _rate(v) for k, v in source.pass_rates.items()},
        "skips": skip_table(source.skips), "skips_total": len(source.skips),
    }


def render_body(context: dict[str, Any]) -> str:
    template = files("synthetic_persona_chat.model_cards").joinpath("dataset_card.md.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    return env.from_string(template).render(**context).strip() + "\n"


def metadata(context: dict[str, Any]) -> dict[str, Any]:
    """Our YAML keys; `configs:` points each config's splits at its Parquet files."""
    configs = []
    for i, c in enumerate(context["configs"]):
        entry: dict[str, Any] = {"config_name": c["name"]}
        if i == 0:
            entry["default"] = True
        entry["data_files"] = [{"split": split, "path": f"{c['name']}/{split}-*.parquet"} for split in c["rows"]]
        configs.append(entry)
    total = max((sum(c["rows"].values()) for c in context["configs"]), default=0)
    return {"license": context["license"], "language": ["en"], "pretty_name": context["pretty_name"],
            "task_categories": ["text-generation"], "tags": ["dialogue", "persona", "synthetic", "conversational"],
            "size_categories": [_size_category(total)], "configs": configs}


def compose(context: dict[str, Any], existing: str | None = None) -> str:
    """README.md text: ours when new; merged into the user's card when one exists."""
    ours_meta, body = metadata(context), f"{BEGIN}\n{render_body(context)}{END}\n"
    if not existing:
        return _with_metadata(ours_meta, body)
    card = DatasetCard(existing)
    meta = card.data.to_dict() if card.data else {}
    for key, value in ours_meta.items():
        if key == "configs" or key not in meta:
            meta[key] = value  # configs must match the files; everything else the user set stays
    text = card.text or ""
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + body.rstrip("\n") + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + ("\n\n" if text.strip() else "") + body
    return _with_metadata(meta, text)


def _with_metadata(meta: dict[str, Any], body: str) -> str:
    return f"---\n{yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)}---\n\n{body.lstrip()}"


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
