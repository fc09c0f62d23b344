"""docs/configuration.md is generated from the config dataclasses; CI fails when the checked-in page is stale."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from synthetic_persona_chat import config_reference
from synthetic_persona_chat.config import SECTIONS


@dataclass
class _Sample:
    """A section for the test."""

    plain: int = 1  # trailing comment
    # the line above
    above: str = "x"  # and its trailing one
    wrapped: float = field(default=0.5, metadata={"range": (0.0, 1.0)})  # first half;
    #                                                                       second half
    bare: bool = False


def test_checked_in_page_is_current():
    """Fails when a config field, default or comment changed without `python -m synthetic_persona_chat.config_reference`."""
    assert config_reference.DOC_PATH.read_text(encoding="utf-8") == config_reference.render()


def test_every_registered_section_is_documented():
    page = config_reference.render()
    for name in [*SECTIONS, "models"]:
        assert f"## `{name}`" in page


def test_field_comments_take_the_lines_above_the_trailing_one_and_continuations():
    assert config_reference.field_comments(_Sample) == {
        "plain": "trailing comment", "above": "the line above and its trailing one",
        "wrapped": "first half; second half", "bare": ""}


def test_section_table_shows_type_range_default_and_meaning():
    page = config_reference.section_page("sample", _Sample)
    assert "A section for the test." in page
    assert "| `wrapped` | `float` in [0.0, 1.0] | `0.5` | first half; second half |" in page
    assert "| `bare` | `bool` | `False` |  |" in page


def test_check_mode_reports_a_stale_page(tmp_path, capsys):
    stale = tmp_path / "configuration.md"
    stale.write_text("# old\n", encoding="utf-8")
    assert config_reference.main(["--check", "--out", str(stale)]) == 1
    assert "stale" in capsys.readouterr().err
    assert config_reference.main(["--out", str(stale)]) == 0
    assert config_reference.main(["--check", "--out", str(stale)]) == 0


def test_every_section_the_code_reads_is_registered():
    """A section read with `config.section("name", ...)` but missing from SECTIONS is neither type-checked at load
    nor documented, and the loader calls it a typo (as it did for `estimate`)."""
    root = Path(config_reference.__file__).resolve().parents[1]
    read = set()
    for folder in ("synthetic_persona_chat", "builder", "eval"):
        for path in (root / folder).rglob("*.py"):
            read |= set(re.findall(r"\.section\(\s*\"([a-z_]+)\"", path.read_text(encoding="utf-8")))
    assert read - {"name"} <= set(SECTIONS), read - set(SECTIONS)
