"""The typed export manifest (OUT/spc_export.json): what `spc build` wrote, read back by `spc push`.

Why a type: the builder writes it, `spc push` reads its version, fingerprint and row counts, and
`spc annotate export` adds its own config to it; as a dict each reader re-read the keys
(`manifest["version"]`, `.get("rows", {})`). The file format is unchanged, key order included (`JsonRow`,
tested on files today's code wrote: tests/fixtures/exports/). Only the version is required: a manifest
that `spc annotate export` started in a new folder holds just the version, its rows and the fingerprint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from synthetic_persona_chat.jsonrow import JsonRow, optional

MANIFEST = "spc_export.json"


@dataclass
class SourceSummary(JsonRow):
    """The manifest's `source`: what was read, by its public name (never a path of the build machine)."""

    kind: str  # "spc" or "run"
    name: str  # `sources.public_name`
    conversations: dict[str, int]  # split -> conversations
    attributes: int | None  # persona attributes of a run's pool (None: the source has none)
    skips: int


@dataclass
class Annotations(JsonRow):
    """The human-annotation study `spc annotate export` added as the `annotations` config."""

    study: str
    exported: str


@dataclass
class ExportManifest(JsonRow):
    """One export's version, provenance, row counts by config and split, and data fingerprint."""

    version: str
    built: str | None = optional()
    builder: str | None = optional()  # this package's version
    datasets: str | None = optional()  # the `datasets` version that wrote the Parquet files
    source: SourceSummary | None = optional()
    rows: dict[str, dict[str, int]] = field(default_factory=dict)  # config -> split -> rows
    files: dict[str, dict[str, str]] | None = optional()  # config -> split -> Parquet path in the folder
    skipped_configs: dict[str, str] | None = optional()  # config -> why it was not built
    nup_seed: int | None = optional()
    num_candidates: int | None = optional()
    fingerprint: str | None = optional()  # `export.fingerprint` of the Parquet files
    annotations: Annotations | None = optional()

    def write(self, folder: Path) -> Path:
        """Write the manifest into `folder` (a staging folder: it is swapped in whole)."""
        path = folder / MANIFEST
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

