"""Item 2 of #26: the card reads as a card however large the run. Skips are grouped by reason class with
counts, each record goes to a file of the export, the card keeps the Hub template's sections and stays
within 300 lines; `dataset_info` says each split's size (item 9)."""

from __future__ import annotations

import json
import logging

import pytest
import yaml

from synthetic_persona_chat.builder.export import export
from synthetic_persona_chat.builder.skips import SKIP_FILE, reason_class, skip_groups
from synthetic_persona_chat.builder.sources import load_source
from synthetic_persona_chat.builder.spc_builder import log_skips
from synthetic_persona_chat.records import Skip

from .conftest import make_run


@pytest.mark.parametrize("reason, cls", [
    ("duplicate of row 5 user 2 personas line 4", "duplicate of row N user N personas line N"),
    ("no 'User 1:'/'User 2:' line in conversation", "no 'User 1:'/'User 2:' line in conversation"),
    ("invalid record: turn 3 has no text", "invalid record"),
    ("turns do not alternate (1 same-speaker repeats, 0 allowed)", "turns do not alternate"),
])
def test_a_reason_class_leaves_out_what_names_one_record(reason, cls):
    assert reason_class(reason) == cls


def test_groups_count_each_class_and_keep_one_example():
    skips = [{"stage": "expand", "source": "/home/me/seeds.csv", "locator": f"row {i}",
              "reason": f"duplicate of row {i - 1}"} for i in range(1, 40)]
    rows, more = skip_groups(skips + [{"stage": "read", "source": "a.csv", "locator": "row 2", "reason": "empty"}])
    assert [(r["stage"], r["reason"], r["count"]) for r in rows] == [("expand", "duplicate of row N", 39),
                                                                     ("read", "empty", 1)]
    assert rows[0]["example"] == "seeds.csv row 1: duplicate of row 0" and more == 0


@pytest.fixture(scope="module")
def big_skips_export(tmp_path_factory):
    run = make_run(tmp_path_factory.mktemp("big") / "run", n=30)
    skips = [Skip("/home/someone/seeds.csv", f"row {i} user 2 personas line {i % 5}",
                  f"duplicate of row {i - 1} user 2 personas line {i % 5}") for i in range(1, 2001)]
    skips += [Skip("gen", f"pair p{i}", f"odd failure number {i}: detail {i}") for i in range(40)]
    skips += [Skip("gen", f"pair q{k}", f"kind {chr(97 + k % 26)}{chr(97 + k // 26)} failed") for k in range(60)]
    run.set_skips("expand", skips)
    out = tmp_path_factory.mktemp("out") / "export"
    export(run.path, out)
    return run, out


def test_the_card_stays_short_and_has_the_hub_templates_sections(big_skips_export):
    _, out = big_skips_export
    card = (out / "README.md").read_text()
    assert len(card.splitlines()) <= 300, len(card.splitlines())
    for heading in ("## Dataset Structure", "## Dataset Creation", "### Curation Rationale", "### Source Data"):
        assert f"\n{heading}\n" in card
    assert "| expand | duplicate of row N user N personas line N | 2,000 | seeds.csv row 1 user 2 personas" in card
    assert "| expand | odd failure number N | 40 |" in card
    assert f"more reason(s), each in `{SKIP_FILE}`" in card


def test_every_skipped_record_is_in_the_exports_file_by_file_name(big_skips_export):
    run, out = big_skips_export
    lines = [json.loads(line) for line in (out / SKIP_FILE).read_text().splitlines()]
    assert len(lines) == len(run.skips()) == 2001 + 100  # the fixture's own generator skip too
    sources = {x["source"] for x in lines}
    assert "seeds.csv" in sources and not any(s.startswith("/") for s in sources)


def test_dataset_info_says_each_splits_size(big_skips_export):
    _, out = big_skips_export
    header = yaml.safe_load((out / "README.md").read_text().split("---")[1])
    sizes = [s["num_bytes"] for info in header["dataset_info"] for s in info["splits"]]
    assert sizes and all(n > 0 for n in sizes)


def test_loading_says_where_each_skip_is_and_warns_only_for_records_skipped_now(big_skips_export, spc_test_only,
                                                                                 caplog):
    run, _ = big_skips_export
    with caplog.at_level(logging.DEBUG):
        log_skips(load_source(run.path))
    summary = [r for r in caplog.records if "input record(s) skipped" in r.getMessage()]
    assert summary[0].levelno == logging.INFO and str(run.path / "skips.jsonl") in summary[0].getMessage()
    assert "'duplicate of row N user N personas line N': 2000" in summary[0].getMessage()
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        log_skips(load_source(spc_test_only))  # the release's one empty conversation, found by this read
    summary = [r for r in caplog.records if "input record(s) skipped" in r.getMessage()]
    assert summary[0].levelno == logging.WARNING and "set_verbosity_debug()" in summary[0].getMessage()
