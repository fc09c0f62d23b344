"""`spc generate`'s closing table reads the conversations stage's typed summary (#25 item 3); the rows it prints
for a `_done.json` a demo run wrote (tests/fixtures/summaries/) and for an older summary without the later keys."""

import json
from pathlib import Path

from rich.console import Console

from synthetic_persona_chat.generation.commands import print_summary

FIXTURE = Path(__file__).parents[1] / "fixtures" / "summaries" / "conversations_done.json"


def _printed(conversations: dict, tmp_path: Path) -> str:
    console = Console(record=True, width=200, file=open("/dev/null", "w"))
    print_summary(console, {"stages": {"conversations": conversations}, "seconds": {"conversations": 12.5}},
                  tmp_path)
    console.file.close()
    return console.export_text()


def test_the_table_shows_a_demo_runs_counts_rates_tokens_and_times(tmp_path):
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    data.pop("_files")
    text = _printed(data, tmp_path)
    for row in (("candidates", "64"), ("winners", "48"), ("pass rate: faithfulness", "83%"),
                ("LLM tokens in / out", "23966 / 9516"), ("LLM calls (this run / cached)", "64 / 0"),
                ("time: conversations (this run)", "12.5s"), ("time: conversations/generate (all runs)", "147.1s")):
        line = next(line for line in text.splitlines() if row[0] in line)
        assert row[1] in line, line


def test_an_older_summary_without_the_later_keys_prints_zeros_and_none(tmp_path):
    text = _printed({"candidates": 2, "parsed": 2, "winners": 1, "pass_rates": {"parser": 1.0}}, tmp_path)
    lines = text.splitlines()
    assert "None" in next(line for line in lines if "pairs" in line)
    assert "0 / 0" in next(line for line in lines if "LLM tokens in / out" in line)
    assert "0 / 0" in next(line for line in lines if "LLM calls (this run / cached)" in line)
    assert not any("time: conversations/" in line for line in lines)


def test_the_estimate_prints_as_before_from_its_typed_rows():
    """estimate_printed.txt was printed by the dict-era `print_estimate` from the two stored estimates (the
    priced one also with `attempts_per_pair`); the typed `Estimate` prints the same text."""
    from synthetic_persona_chat.generation.commands import print_estimate
    from synthetic_persona_chat.generation.estimate import Estimate

    folder = FIXTURE.parent
    priced = json.loads((folder / "estimate_priced.json").read_text(encoding="utf-8"))
    tiny = json.loads((folder / "estimate_tiny.json").read_text(encoding="utf-8"))
    printed = []
    for data in (priced, {**priced, "attempts_per_pair": 1.25}, tiny):
        console = Console(record=True, width=120, color_system=None, file=open("/dev/null", "w"))
        print_estimate(console, Estimate.from_json(data))
        console.file.close()
        printed.append(console.export_text())
    assert "".join(printed) == (folder / "estimate_printed.txt").read_text(encoding="utf-8")
