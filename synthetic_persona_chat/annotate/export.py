"""A study's answers as the `annotations` config of a dataset export, publishable with `spc push`.

One row per judgement (a quality answer has one per aspect), with typed features, so that
`datasets.load_dataset(EXPORT, "annotations")` (or the Hub repo) gives the raw material of every human
figure in the report: who (a pseudonym, never the token) said what about which conversations, which
side the synthetic one was on, and how long it took.

Written beside the `spc build` configs: the Parquet file, a `configs:` entry in README.md (other
entries and the user's metadata kept), a card section between its own markers, and the export manifest's
row counts and data fingerprint (so `spc push` sees new data and refuses to re-tag an old version with
it). `spc build` rewrites an export from scratch: run `spc annotate export` again after a rebuild.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, TypedDict

from synthetic_persona_chat.builder.export import fingerprint

from .results import judgements

CONFIG = "annotations"
BEGIN = "<!-- BEGIN spc-annotations: rewritten by `spc annotate export` -->"
END = "<!-- END spc-annotations -->"
MANIFEST = "spc_export.json"


class AnnotationRow(TypedDict):
    """One judgement of the `annotations` config (`features()`): who said what about which conversations."""

    study: str
    item_id: str
    task: str  # "turing" | "quality" | "faithfulness"
    question: str
    answer: str  # the raw answer ("left", "tie", "yes", ...)
    outcome: str  # what it means for the synthetic side ("synthetic", "real", ...)
    annotator: str  # a pseudonym, never the token
    dataset: str  # the synthetic dataset's name, or "real"
    iteration: int | None
    synthetic_side: str | None
    speaker: str | None
    left_conversation_id: str
    right_conversation_id: str | None
    answered_at: str  # UTC, ISO 8601
    seconds: float | None  # from serving the item to the answer
    seed: int


def features() -> Any:
    import datasets

    s, i, f = datasets.Value("string"), datasets.Value("int32"), datasets.Value("float64")
    return datasets.Features({
        "study": s, "item_id": s, "task": s, "question": s, "answer": s, "outcome": s, "annotator": s,
        "dataset": s, "iteration": i, "synthetic_side": s, "speaker": s, "left_conversation_id": s,
        "right_conversation_id": s, "answered_at": s, "seconds": f, "seed": i})


def rows(store: Any) -> list[AnnotationRow]:
    config = store.config()
    answers = store.answers()
    out = []
    for a, j in ((a, j) for a in answers for j in judgements([a])):
        item = a["item"]
        out.append(AnnotationRow(
            study=config.name, item_id=item.id, task=item.task, question=j.question, answer=j.value,
            outcome=j.outcome, annotator=a["annotator"], dataset=item.dataset, iteration=item.iteration,
            synthetic_side=item.synthetic_side, speaker=item.speaker, left_conversation_id=item.conversations[0]["id"],
            right_conversation_id=item.conversations[1]["id"] if len(item.conversations) > 1 else None,
            answered_at=time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(a["answered_at"])), seconds=a["seconds"],
            seed=config.seed))
    return out


def export_annotations(store: Any, out: str | Path) -> int:
    """Write OUT/annotations/train-00000-of-00001.parquet, the card entry and the manifest; returns rows."""
    import datasets

    out = Path(out)
    data = rows(store)
    if not data:
        raise ValueError(f"{store.path}: no answers recorded yet; nothing to export")
    ds = datasets.Dataset.from_list(data, features=features())
    target = out / CONFIG / "train-00000-of-00001.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    ds.to_parquet(str(tmp))
    os.replace(tmp, target)
    _write_card(out, store.config(), len(data))
    _update_manifest(out, len(data), store.config().name)
    return len(data)


def _write_card(out: Path, config: Any, n: int) -> None:
    import yaml
    from huggingface_hub import DatasetCard

    path = out / "README.md"
    card = DatasetCard(path.read_text(encoding="utf-8")) if path.exists() else DatasetCard("---\n---\n")
    meta = card.data.to_dict() if card.data else {}
    entry = {"config_name": CONFIG, "data_files": [{"split": "train", "path": f"{CONFIG}/train-*.parquet"}]}
    meta["configs"] = [c for c in meta.get("configs") or [] if c.get("config_name") != CONFIG] + [entry]
    section = (f"{BEGIN}\n## Human annotations (`{CONFIG}` config)\n\n"
               f"{n} judgements from the human study `{config.name}` (`spc annotate`): tasks "
               f"{', '.join(config.tasks)}; {config.annotators} annotators x {config.items_per_annotator} items, "
               f"each item judged by {config.overlap}; seed {config.seed}. Human-written side: `{config.real}`; "
               f"synthetic: {', '.join(f'`{k}`' for k in config.synthetic)}.\n\n"
               "One row per judgement: `answer` is what the annotator clicked (left/right/unsure/tie, yes/no), "
               "`outcome` what it means for the synthetic conversation (`synthetic` = it was named machine-written "
               "or preferred, `real` = the human one was), `synthetic_side` where it was shown. Annotators are "
               "pseudonyms.\n\n```python\nfrom datasets import load_dataset\n"
               f"rows = load_dataset(\"NAMESPACE/NAME\", \"{CONFIG}\", split=\"train\")\n```\n{END}")
    text = card.text or ""
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + ("\n\n" if text.strip() else "") + section + "\n"
    body = f"---\n{yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)}---\n\n{text.lstrip()}"
    tmp = path.with_name(f".README.md.{os.getpid()}.tmp")
    tmp.write_text(body, encoding="utf-8")
    os.replace(tmp, path)


def _update_manifest(out: Path, n: int, study: str) -> None:
    """Row counts and fingerprint of the export now that it holds annotations (a new folder gets a manifest)."""
    path = out / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"version": "1.0.0", "rows": {}}
    manifest.setdefault("rows", {})[CONFIG] = {"train": n}
    manifest["annotations"] = {"study": study, "exported": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    manifest["fingerprint"] = fingerprint(out)
    tmp = path.with_name(f".{MANIFEST}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
