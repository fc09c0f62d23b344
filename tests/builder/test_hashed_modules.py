"""The `datasets` cache key covers every module that shapes the builder's rows."""

from __future__ import annotations

import importlib.util

from synthetic_persona_chat.builder import datasets_hook

from ..test_layers import PKG, imports

ROW_TYPES = {f"{PKG}.{m}" for m in ("records", "row_contracts", "rowtypes", "text", "iterations")}


def _imported_by_builder() -> set[str]:
    """Our modules the builder module loads, directly or through others."""
    graph: dict[str, set[str]] = {}
    for importer, imported, _, _ in imports():
        graph.setdefault(importer, set()).add(imported)
    seen, todo = {datasets_hook.BUILDER_MODULE}, [datasets_hook.BUILDER_MODULE]
    while todo:
        for target in graph.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_every_row_shaping_module_is_hashed():
    shaping = {m for m in _imported_by_builder()
               if m.startswith((f"{PKG}.builder", f"{PKG}.readers")) or m in ROW_TYPES}
    assert f"{PKG}.builder.rows" in shaping and f"{PKG}.builder.messages" in shaping
    assert shaping - set(datasets_hook.HASHED_MODULES) == set()


def test_changing_a_row_module_changes_the_hash(tmp_path, monkeypatch):
    """An edit to rows.py (here: a copy with one more line) gives another cache key."""
    before = datasets_hook.code_hash()
    real_find_spec = importlib.util.find_spec
    changed = tmp_path / "rows.py"
    changed.write_text(open(real_find_spec(f"{PKG}.builder.rows").origin, encoding="utf-8").read() + "# edited\n",
                       encoding="utf-8")

    def find_spec(name, *args):
        spec = real_find_spec(name, *args)
        if name == f"{PKG}.builder.rows":
            spec = importlib.util.spec_from_file_location(name, changed)
        return spec

    monkeypatch.setattr(datasets_hook.importlib.util, "find_spec", find_spec)
    assert datasets_hook.code_hash() != before
    monkeypatch.undo()
    assert datasets_hook.code_hash() == before
