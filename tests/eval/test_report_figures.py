"""#26.10: the report's plots and header say what they show: a zero bar is labelled "0" (not read as
missing), unequal length bins are drawn at their real widths, and the header names the sources and times."""

from __future__ import annotations

import json
import os

import pytest

from synthetic_persona_chat.eval.plotting import bar_labels, histogram_steps, pyplot
from synthetic_persona_chat.eval.report import render_report
from synthetic_persona_chat.eval.report_header import header_markdown


def test_a_zero_bar_says_0_and_a_missing_one_says_n_a():
    assert bar_labels([0.0, None, float("nan"), 0.1234]) == ["0", "n/a", "n/a", "0.12"]
    plt = pyplot()
    fig, ax = plt.subplots()
    bars = ax.bar([0, 1], [0.0, 0.5])
    texts = ax.bar_label(bars, labels=bar_labels([0.0, 0.5]))
    assert [t.get_text() for t in texts] == ["0", "0.50"]  # the zero bar's label is drawn at its base
    plt.close(fig)


def test_unequal_bins_as_share_per_unit_with_the_open_bin_as_a_number():
    edges, density, beyond = histogram_steps([0, 5, 10, 20, 10_000], [5, 5, 5, 5])
    assert edges == [0, 5, 10, 20] and beyond == 0.25
    assert density == pytest.approx([0.05, 0.05, 0.025])  # the 10-wide bin is half as tall as the 5-wide ones
    areas = [d * (hi - lo) for d, lo, hi in zip(density, edges, edges[1:])]
    assert sum(areas) + beyond == pytest.approx(1)


def test_the_report_header_names_the_sources_and_when(tmp_path):
    quality = {"config": {}, "datasets": {"run": {"not_run": "no conversations", "source": "runs/tiny"}}}
    (tmp_path / "quality.json").write_text(json.dumps(quality))
    os.utime(tmp_path / "quality.json", (1_780_000_000, 1_780_000_000))
    report = render_report(tmp_path)["markdown"].read_text()
    head = report.split("\n## ")[0]
    assert "`quality.json` (2026-05-28 20:26 UTC)" in head and "| quality | run | `runs/tiny` |" in head
    assert head.startswith("# Evaluation report\n") and "Written 20" in head


def test_the_header_lists_nup_train_and_test_sets(tmp_path):
    nup = {"train_sets": {"SPC": {"source": "hub:google/Synthetic-Persona-Chat"}},
           "test_sets": {"PC": {"not_run": "offline"}}}
    text = header_markdown(tmp_path, ["nup.json"], nup, None, now=0)
    assert "Written 1970-01-01 00:00 UTC" in text and "none." in text
    assert "| NUP train | SPC | `hub:google/Synthetic-Persona-Chat` |" in text and "| NUP test | PC | `offline` |" in text
