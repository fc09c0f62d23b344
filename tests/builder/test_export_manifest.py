"""The typed export manifest (`export_manifest.py`) reads and rewrites the files today's code writes unchanged,
key order included (tests/fixtures/exports/: one `spc build` wrote, one `spc annotate export` then updated)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from synthetic_persona_chat.builder.export import ExportError, read_manifest
from synthetic_persona_chat.builder.export_manifest import MANIFEST, ExportManifest, SourceSummary

FIXTURES = Path(__file__).parents[1] / "fixtures" / "exports"


@pytest.mark.parametrize("name", ["spc_export.json", "spc_export_annotated.json"])
def test_a_written_manifest_round_trips_byte_for_byte(name):
    text = (FIXTURES / name).read_text(encoding="utf-8")
    manifest = ExportManifest.from_json(json.loads(text))
    assert json.dumps(manifest.to_json(), indent=2, ensure_ascii=False) + "\n" == text
    assert isinstance(manifest.source, SourceSummary) and manifest.source.name == "spc-sample:test"
    assert manifest.rows["full"] == {"test": 150} and manifest.num_candidates == 20


def test_read_manifest_gives_named_fields(tmp_path):
    shutil.copy(FIXTURES / "spc_export_annotated.json", tmp_path / MANIFEST)
    manifest = read_manifest(tmp_path)
    assert manifest.version == "1.0.0" and manifest.rows["annotations"] == {"train": 12}
    assert manifest.annotations is not None and manifest.annotations.study == "pilot"
    assert manifest.write(tmp_path).read_bytes() == (FIXTURES / "spc_export_annotated.json").read_bytes()


def test_a_manifest_without_a_version_is_damaged(tmp_path):
    (tmp_path / MANIFEST).write_text(json.dumps({"rows": {}}), encoding="utf-8")
    with pytest.raises(ExportError, match=r"spc_export\.json is damaged \(ExportManifest: the JSON object lacks "
                                          r"version.*rebuild the export"):
        read_manifest(tmp_path)
