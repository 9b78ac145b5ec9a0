"""The house, read from the imports themselves: no circles between files or between parts, and the
rules of the layout (README, «Layout»: a fake never imports another fake, the suite imports no fake, the
reference insurer imports nothing of the sandbox).

Every ``import`` and ``from … import`` of the product's Python files is read with :mod:`ast`
(imports inside functions count too: they are dependencies all the same) and resolved to a file
through ``setup.py``'s folder-to-package table. ``python -m tests.test_architecture`` prints the
graph of parts, the facts behind the assertions below.
"""

from __future__ import annotations

import ast
import functools
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def roots() -> dict[str, str]:
    """``setup.py``'s ``ROOTS`` (import package -> folder), read without running it."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "ROOTS" for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError("setup.py has no ROOTS")


ROOTS = roots()


def module_files() -> dict[str, Path]:
    """Every product module by its import name."""
    found = {}
    for package, folder in ROOTS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


MODULES = module_files()
FILES = {path: name for name, path in MODULES.items()}


def _resolve(name: str) -> str | None:
    """The product module an imported name lives in (``a.b.C`` -> ``a.b`` when C is not a module)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(path: Path) -> set[str]:
    """The product modules ``path`` imports."""
    module = FILES[path]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for name in names:
            target = _resolve(name)
            # A module's own packages are imported before it in any case: not a dependency.
            if target and target != module and not module.startswith(target + "."):
                found.add(target)
    return found


@functools.cache
def file_graph() -> dict[str, set[str]]:
    """Every module's imports of the product's modules, read once, when a test first asks (not when
    each pytest-xdist worker collects this file: reading every file costs most of a second)."""
    return {name: imports_of(path) for name, path in MODULES.items()}


def part_of(module: str) -> str:
    """The part of the house a module belongs to: one fake (with its sub-folders), the shared
    machinery, the key authority, the suite, the people, the reference insurer; ``sandbox/``'s
    own files, its dashboard and its topology apart."""
    if module == CONTRACT:
        return "contract"
    path = MODULES[module].relative_to(ROOT).parts
    if path[0] == "mocks" and len(path) > 2:
        return "/".join(path[:2])
    if path[0] == "sandbox" and len(path) > 2:
        return "/".join(path[:2])
    if path[0] == "examples" and len(path) > 2:
        return "/".join(path[:2])
    return path[0]


def part_graph() -> dict[str, set[str]]:
    parts: dict[str, set[str]] = defaultdict(set)
    for module, targets in file_graph().items():
        parts[part_of(module)] |= {part_of(t) for t in targets} - {part_of(module)}
    return dict(parts)


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


FAKES = ("mocks/idporten", "mocks/maskinporten", "mocks/altinn", "mocks/nav")
#: The contract between the fakes and the readers of their events (the operations and event fields the
#: suite, the dashboard and fault targets name): a part of its own that imports nothing, so that each of
#: them may import it without importing the others.
CONTRACT = "dsop_sandbox.conformance.contract"


def test_the_import_reader_sees_the_house():
    assert "dsop_sandbox.mocks.nav.app" in MODULES and "dsop_sandbox.cli" in MODULES
    assert "dsop_sandbox.mocks.common.service" in file_graph()["dsop_sandbox.mocks.nav.app"]
    assert "dsop_sandbox.mocks.nav.checks" in file_graph()["dsop_sandbox.mocks.nav.app"]  # a relative import
    assert len(MODULES) > 100


def test_no_circle_between_files():
    assert circles(file_graph()) == []


def test_no_circle_between_parts():
    assert circles(part_graph()) == []


@pytest.mark.parametrize("fake", FAKES)
def test_a_fake_uses_only_the_shared_machinery_the_key_authority_and_the_people(fake):
    assert part_graph().get(fake, set()) <= {"mocks/common", "mocks/authority", "scenarios", "contract"}


def test_the_shared_machinery_stands_on_the_key_authority_alone():
    graph = part_graph()
    assert graph.get("mocks/authority", set()) == set()
    assert graph.get("mocks/common", set()) <= {"mocks/authority"}
    assert graph.get("scenarios", set()) <= {"mocks/common"}


def test_the_control_plane_speaks_to_the_fakes_over_http_only_and_the_dashboard_only_draws():
    graph = part_graph()
    assert graph.get("sandbox/control_plane", set()) <= {"mocks/common", "mocks/authority"}
    assert graph.get("sandbox/dashboard", set()) <= {"sandbox/control_plane", "mocks/common", "contract"}


def test_the_suite_sees_the_sandbox_only_over_http():
    assert part_graph().get("conformance", set()) <= {"contract"}


def test_the_contract_imports_nothing():
    assert file_graph()[CONTRACT] == set()


def test_the_reference_insurer_imports_nothing_of_the_sandbox():
    assert part_graph().get("examples/reference_insurer", set()) == set()


if __name__ == "__main__":
    for part, targets in sorted(part_graph().items()):
        print(f"{part:<28} -> {', '.join(sorted(targets)) or '(nothing)'}")
    print("circles between files:", circles(file_graph()) or "none")
    print("circles between parts:", circles(part_graph()) or "none")
