"""Local validation of an export's dataset card, before anything reaches the Hub (`spc push`, `--dry-run`).

It reads the card the way the Hub and `datasets` will: huggingface_hub's `DatasetCard` / `DatasetCardData`
for the header, `datasets`' `MetadataConfigs` for `configs:`, whose every `data_files` pattern must match a
file of the export. It also flags what would embarrass a published card: placeholders still in it and
missing metadata keys. Machine paths are checked in every uploaded file, the card included (`upload_check`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .card import REPO_PLACEHOLDER

REQUIRED_KEYS = ("license", "language", "pretty_name", "task_categories", "task_ids", "size_categories",
                 "annotations_creators", "language_creators", "multilinguality", "source_datasets", "configs",
                 "dataset_info")
PLACEHOLDERS = (REPO_PLACEHOLDER, "NAMESPACE/NAME", "[More Information Needed]", "TODO")


@dataclass
class CardReport:
    errors: list[str] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.placeholders

    def lines(self) -> list[str]:
        return self.errors + [f"placeholder left in the card: {p!r}" for p in self.placeholders]


def fill_repo_id(text: str, repo_id: str) -> str:
    """The card as published to `repo_id`: its loading example names the real repo."""
    return text.replace(REPO_PLACEHOLDER, repo_id)


def check_card(text: str, folder: str | Path) -> CardReport:
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCard

    folder = Path(folder)
    report = CardReport()
    try:
        card = DatasetCard(text)
    except Exception as exc:  # noqa: BLE001 - an unreadable header is the finding
        report.errors.append(f"README.md header is not valid card metadata: {exc}")
        return report
    meta = card.data.to_dict() if card.data else {}
    report.errors += [f"README.md metadata lacks `{k}`" for k in REQUIRED_KEYS if not meta.get(k)]
    try:
        configs = MetadataConfigs.from_dataset_card_data(card.data)
    except Exception as exc:  # noqa: BLE001
        report.errors.append(f"README.md `configs:` is invalid for datasets: {exc}")
        configs = {}
    for name, config in configs.items():
        for entry in config.get("data_files") or []:
            patterns = entry["path"] if isinstance(entry["path"], list) else [entry["path"]]
            for pattern in patterns:
                if not list(folder.glob(pattern)):
                    report.errors.append(f"config {name!r} split {entry.get('split')!r}: no file matches "
                                         f"{pattern!r} in {folder}")
    info = meta.get("dataset_info") or []
    described = {i.get("config_name", "default") for i in (info if isinstance(info, list) else [info])}
    missing = sorted(set(configs) - described)
    if missing:
        report.errors.append(f"dataset_info describes no features for config(s) {missing}")
    report.placeholders = [p for p in PLACEHOLDERS if p in text]
    return report
