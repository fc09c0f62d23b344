"""#27 item 1 at the end of the chain: a run whose config held a key exports a card without it, and the push
(dry-run too) refuses any file that still holds a secret the Hub's scanner would reject."""

from __future__ import annotations

import json
import shutil

import pytest

from synthetic_persona_chat.builder.export import MANIFEST, export
from synthetic_persona_chat.builder.publish import push
from synthetic_persona_chat.config import Config
from synthetic_persona_chat.rundir import RunDir

from ..test_redact import REDACTED
from .conftest import make_run

KEY = "sk-" + "Zz9" * 12
HF = "hf_" + "Q" * 34


@pytest.fixture(scope="module")
def keyed_export(tmp_path_factory):
    """A run made with `models.llm.api_key` and a password in the base URL, exported."""
    run = make_run(tmp_path_factory.mktemp("keyed") / "runs" / "keyed", n=12)
    spec = {"backend": "openai", "model": "m", "api_key": KEY, "base_url": "http://bob:hunter2hunter2@10.0.0.5/v1"}
    RunDir(run.path).init(Config.from_dict({"seed": 3, "models": {"llm": spec},
                                            "conversations": {"iterations": 3, "candidates": 2}}),
                          allow_config_change=True)
    run.record_model("llm", {**spec, "api_key": KEY})
    out = tmp_path_factory.mktemp("exp") / "export"
    export(run.path, out, configs=("full", "conversations"))
    return out


def test_the_card_and_every_exported_file_hold_no_secret(keyed_export):
    card = (keyed_export / "README.md").read_text()
    assert KEY not in card and "hunter2hunter2" not in card and REDACTED in card
    for path in keyed_export.rglob("*"):
        if path.is_file() and path.suffix != ".parquet":
            assert KEY not in path.read_text() and "hunter2hunter2" not in path.read_text(), path
    assert push(keyed_export, "me/x", dry_run=True).ok


@pytest.mark.parametrize("leak", [f"api_key: {KEY}", f"token {HF}", "http://u:pw12345678@host/v1",
                                  "https://h/v1?api-key=abcdef123456"])
def test_push_refuses_an_export_with_a_secret_in_any_file(keyed_export, tmp_path, leak):
    out = tmp_path / "copy"
    shutil.copytree(keyed_export, out)
    manifest = json.loads((out / MANIFEST).read_text())
    (out / MANIFEST).write_text(json.dumps({**manifest, "note": leak}))
    dry = push(out, "me/x", dry_run=True)
    assert not dry.ok  # before #27 the dry run called such an export valid
    problems = [p for p in dry.problems() if p.startswith(f"{MANIFEST}: secret: ")]
    assert problems
    assert all(KEY not in p and HF not in p and "pw12345678" not in p for p in problems)  # the report leaks nothing


def test_a_secret_inside_a_parquet_string_is_found(tmp_path):
    import datasets

    from synthetic_persona_chat.builder.upload_check import scan

    datasets.Dataset.from_list([{"utterances": [f"my key is {HF}"]}]).to_parquet(str(tmp_path / "d.parquet"))
    assert [f.split(": ")[1] for f in scan(tmp_path, ["d.parquet"]).findings] == ["secret"]
