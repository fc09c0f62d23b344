"""The user documentation: a short README, links that resolve, nothing users do not have."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
USER_DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CONTRIBUTOR_DOCS = {"CONTRIBUTING-HELPERS.md"}
LINK = re.compile(r"\]\(([^)#\s]+)(#[^)\s]*)?\)")


def _user_docs() -> list[Path]:
    return [p for p in USER_DOCS if p.name not in CONTRIBUTOR_DOCS]


def test_readme_is_a_five_minute_read():
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 150


@pytest.mark.parametrize("page", _user_docs(), ids=lambda p: p.name)
def test_relative_links_resolve(page):
    text = page.read_text(encoding="utf-8")
    broken = [target for target, _ in LINK.findall(text)
              if "://" not in target and not (page.parent / target).exists()]
    assert not broken, f"{page.name}: links to missing files {broken}"


@pytest.mark.parametrize("page", _user_docs(), ids=lambda p: p.name)
def test_no_paths_users_do_not_have(page):
    """Users have no ../shared beside their checkout, and benchmarks/results is git-ignored."""
    text = page.read_text(encoding="utf-8")
    assert "../shared" not in text and "shared/data" not in text
    assert not re.search(r"benchmarks/results/\w", text), "cite the benchmark command, not its ignored output"
