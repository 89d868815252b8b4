"""The package's layering, read from its source: the core never imports the course layer,
and no two modules import each other (directly or round a longer cycle)."""

import ast
from pathlib import Path

import mict

PACKAGE = Path(mict.__file__).resolve().parent
COURSE = "mict.course"
ALLOWED_INTO_COURSE = {"mict.cli"}  # the command line runs the course


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def resolve(module: str, level: int, target: str | None, is_package: bool) -> str:
    """The absolute name of `from <level dots><target> import …` written in `module`."""
    if level == 0:
        return target or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def imports_of(name: str) -> set[str]:
    """Every mict module `name` imports, anywhere in the file (function-level imports included).
    `from package import name` counts as importing the submodule when `name` is one."""
    path = MODULES[name]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            source = resolve(name, node.level, node.module, path.name == "__init__.py")
            submodules = {f"{source}.{alias.name}" for alias in node.names} & MODULES.keys()
            found |= submodules or {source}
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imports_of(name) for name in MODULES}


def in_course(name: str) -> bool:
    return name == COURSE or name.startswith(COURSE + ".")


def test_the_import_graph_is_read_from_every_module():
    assert "mict.train" in GRAPH and "mict.course.results" in GRAPH
    assert "mict.checkpoints" in GRAPH["mict.train"]
    assert "mict.models.registry" in GRAPH["mict.models"]  # `from .registry import …`
    assert "mict.course.settings" in GRAPH["mict.course.viz.common"]  # `from ..settings import …`


def test_the_core_never_imports_the_course_layer():
    offenders = {name: sorted(filter(in_course, imported)) for name, imported in GRAPH.items()
                 if not in_course(name) and name not in ALLOWED_INTO_COURSE}
    offenders = {name: imported for name, imported in offenders.items() if imported}
    assert not offenders, f"core modules import the course layer: {offenders}"


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other: Tarjan's strongly connected components of size > 1."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for child in sorted(graph[node]):
            if child not in index:
                visit(child)
                low[node] = min(low[node], low[child])
            elif child in on_stack:
                low[node] = min(low[node], index[child])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return cycles


def test_the_cycle_finder_finds_direct_and_longer_cycles():
    assert import_cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_no_two_modules_import_each_other():
    cycles = import_cycles(GRAPH)
    assert not cycles, f"modules that import each other: {cycles}"


def test_the_training_loop_reads_in_one_sitting():
    lines = (PACKAGE / "train.py").read_text().count("\n")
    assert lines < 350, f"mict/train.py has {lines} lines; move what is not the loop to its own module"
