"""The import layers: no circles, no import from a lower layer up to a higher one.

Read over `ast`, so imports inside functions count too (they run, just later); imports under
`if TYPE_CHECKING:` do not (they never run). A layer is a list of module prefixes, the longest prefix
wins, so a small module that sits in a stage's folder but serves a lower layer (a parser of LLM
answers, a config dataclass) is named where it belongs. Within a layer any import is allowed, as long
as there is no circle.

An import inside a function of one of our modules is allowed only where the line says why (a comment:
an optional extra, a heavy library, a command loaded on use); command modules (the CLI and its
`commands` modules) load their stages on use, to keep `spc --help` fast.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = "synthetic_persona_chat"
SOURCES = {PKG: ROOT / PKG, f"{PKG}.builder": ROOT / "builder", f"{PKG}.eval": ROOT / "eval"}

# Lowest first. Prefixes are relative to the package; "" would be the package itself.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("the package itself", ("",)),
    ("foundation: leaf utilities, records, row types, bundled model names", (
        "errors", "paths", "json_output", "jsonrow", "jsontypes", "versions", "pause_points", "label_split", "redact", "model_defaults", "model_spec", "iterations", "logs", "strict_yaml", "records", "text", "rowtypes", "row_contracts", "kvstore",
        "lock", "sample_data", "data", "prompts", "coverage", "cli_common", "models.bundled", "models.spec",
        "eval.stats", "generation.critic.report")),
    ("configuration", ("config", "presets", "usergen.config", "generation.config", "annotate.config")),
    ("run directory and readers", ("rundir", "readers", "usergen.seeds", "usergen.parsing", "generation.parser")),
    ("models and prompt tasks", ("models", "tasks")),
    ("run context and checkpoints", ("context", "checkpoint")),
    ("user generation", ("usergen",)),
    ("conversation generation and the Critic", ("generation",)),
    ("dataset builder and Hub", ("builder",)),
    ("evaluation", ("eval",)),
    ("human evaluation", ("annotate",)),
    ("commands", ("cli", "__main__", "config_reference", "paper_table", "models.check", "usergen.commands", "generation.commands",
                  "generation.critic.commands", "generation.critic.judge",
                  "builder.commands", "builder.cli", "eval.cli", "annotate.commands", "annotate.app")),
]
COMMAND_MODULES = ("cli", "commands", "eval.cli", "builder.cli", "models.check")


def modules() -> dict[str, Path]:
    """Every module of ours by dotted name (builder/ and eval/ install under the package)."""
    found = {}
    for prefix, base in SOURCES.items():
        for path in base.rglob("*.py"):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([prefix, *parts])] = path
    return found


MODULES = modules()


def _targets(name: str, node: ast.Import | ast.ImportFrom, is_package: bool) -> list[str]:
    """The modules of ours an import statement loads (the longest existing prefix of each name)."""
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = name.split(".") if is_package else name.split(".")[:-1]
            base = base[:len(base) - node.level + 1]
            module = ".".join(base + ([node.module] if node.module else []))
        else:
            module = node.module or ""
        names = [module] + [f"{module}.{a.name}" for a in node.names]
    else:
        names = [a.name for a in node.names]
    found = []
    for target in names:
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        found += [t for t in _with_packages(target, name) if t != name]
    return found


def _with_packages(target: str, importer: str) -> list[str]:
    """`target` and the packages above it that the importer is not inside: importing a.b.c from outside `a`
    runs a/__init__ and a/b/__init__ first, and a package's __init__ re-exporting its modules makes that an
    import of all of them (within its own package a module is loaded by then anyway)."""
    parts = target.split(".") if target else []
    packages = [".".join(parts[:i]) for i in range(2, len(parts))]
    outside = [p for p in packages if p in MODULES and not (importer + ".").startswith(p + ".") and _loads_ours(p)]
    return outside + ([target] if target else [])


@lru_cache(maxsize=None)
def _loads_ours(package: str) -> bool:
    """Whether the package's __init__ imports any module of ours (an empty one pulls in nothing)."""
    tree = ast.parse(MODULES[package].read_text(encoding="utf-8"))
    return any((isinstance(n, ast.ImportFrom) and (n.level or (n.module or "").startswith(PKG)))
               or (isinstance(n, ast.Import) and any(a.name.startswith(PKG) for a in n.names))
               for n in ast.walk(tree))


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of import nodes under `if TYPE_CHECKING:`."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return skipped


@lru_cache(maxsize=1)
def imports() -> list[tuple[str, str, int, bool]]:
    """(importer, imported, line, inside a function) for every import of one of our modules by another."""
    edges = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _type_checking_only(tree)
        in_function = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                       for n in ast.walk(f)}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in skipped:
                for target in dict.fromkeys(_targets(name, node, path.name == "__init__.py")):
                    edges.append((name, target, node.lineno, id(node) in in_function))
    return edges


def layer_of(module: str) -> int:
    """Index in LAYERS of the longest prefix matching `module`."""
    rel = module[len(PKG) + 1:] if module != PKG else ""
    best, rank = -1, None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (rel == prefix or (prefix and rel.startswith(prefix + "."))) and len(prefix) > best:
                best, rank = len(prefix), index
    if rank is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_layers.py")
    return rank


def circles(edges: list[tuple[str, str, int, bool]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for a, b, _, _ in edges:
        graph[a].add(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_every_module_has_a_layer():
    for module in MODULES:
        layer_of(module)


def test_no_import_circles():
    assert circles(imports()) == []


def test_no_upward_imports():
    upward = [f"{a} (layer {LAYERS[layer_of(a)][0]!r}) imports {b} (layer {LAYERS[layer_of(b)][0]!r}) at line {line}"
              for a, b, line, _ in imports() if layer_of(b) > layer_of(a)]
    assert upward == []


def test_imports_inside_functions_say_why():
    silent = []
    for a, b, line, inside in imports():
        rel = a[len(PKG) + 1:]
        if not inside or rel in COMMAND_MODULES or rel.endswith(".commands"):
            continue
        text = MODULES[a].read_text(encoding="utf-8").splitlines()[line - 1]
        if "#" not in text:
            silent.append(f"{a}:{line} imports {b} inside a function without saying why")
    assert silent == []


def test_the_checker_sees_circles_and_upward_imports():
    """The helpers themselves: a made-up circle is found, and a made-up upward edge is ranked as one."""
    edges = [(f"{PKG}.config", f"{PKG}.rundir", 1, False), (f"{PKG}.rundir", f"{PKG}.config", 1, False)]
    assert circles(edges) == [[f"{PKG}.config", f"{PKG}.rundir"]]
    assert layer_of(f"{PKG}.models.bundled") < layer_of(f"{PKG}.config") < layer_of(f"{PKG}.models.embedder")
    assert layer_of(f"{PKG}.eval.report") > layer_of(f"{PKG}.builder.card")
