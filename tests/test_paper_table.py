"""docs/paper-vs-ours.md is generated from the config defaults and presets, and stays so."""

from pathlib import Path

from synthetic_persona_chat import paper_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "paper-vs-ours.md"


def test_doc_is_what_the_generator_writes():
    assert DOC.read_text(encoding="utf-8") == paper_table.render(), \
        "regenerate: python -m synthetic_persona_chat.paper_table > docs/paper-vs-ours.md"


def test_ours_reads_defaults_and_presets():
    row = next(r for r in paper_table.ROWS if r.key == "generation.fewshot")
    text = paper_table.ours(row, {"tiny": {"generation": {"fewshot": 2}}, "same": {"generation": {"fewshot": 5}}})
    assert text == "`generation.fewshot` = 5 (tiny: 2)"
    assert paper_table.ours(paper_table.Row("a", "b", "c", "d", ours="text"), {}) == "text"


def test_every_keyed_row_names_a_real_field():
    for r in paper_table.ROWS:
        assert r.why and r.paper
        if r.key:
            paper_table.ours(r, paper_table.preset_values())  # an unknown section or field raises
