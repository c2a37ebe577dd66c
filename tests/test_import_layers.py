"""scorelab's modules import each other without a cycle, and packages only through their __init__s.

The graph is read from the sources with ``ast``: every import at module level
(inside ``try`` and ``if`` too), not those inside functions (they run later) nor
under ``if TYPE_CHECKING`` (they never run). Importing ``scorelab.a._b`` runs
``scorelab/a/__init__.py`` first, so an import of a module also counts as one of
each package above it (except the importer's own packages, already running).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = SRC / "scorelab"

#: Imports of another package's private modules allowed for now, each with why: the keys
#: are (importer, imported) prefixes of module names.
ALLOWED = {
    # the kernel compiles the policy's condition machine into itself: a kernel detail of
    # the policy package, not its API
    ("scorelab.engine.", "scorelab.policy._condition_vm"): "execute, STACK_SIZE",
    # is_compiled checks the population generator's compiled function in numba's cache
    ("scorelab.engine._warm", "scorelab.world._population"): "_generate",
}


def module_name(path: Path) -> str:
    """``src/scorelab/a/_b.py`` -> ``scorelab.a._b``; a package's ``__init__.py`` is the package."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imported(name: str, body: list[ast.stmt], package: str) -> list[str]:
    """The scorelab modules that the statements ``body`` of module ``name`` import."""
    found: list[str] = []
    for node in body:
        if isinstance(node, ast.If):
            found += _imported(name, node.orelse, package)
            if not _is_type_checking(node.test):
                found += _imported(name, node.body, package)
        elif isinstance(node, ast.Try):
            for block in (node.body, *(h.body for h in node.handlers), node.orelse,
                          node.finalbody):
                found += _imported(name, block, package)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the importer's package, up level - 1
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:  # `from pkg import submodule` imports the submodule
                found.append(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES
                             else base)
    return found


def imports_of(name: str) -> set[str]:
    """The scorelab modules module ``name`` imports at module level, with their packages."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for target in _imported(name, ast.parse(path.read_text()).body, package):
        if target != "scorelab" and not target.startswith("scorelab."):
            continue
        parts = target.split(".")
        for depth in range(2, len(parts) + 1):  # the packages above it run first
            above = ".".join(parts[:depth])
            if depth == len(parts) or not f"{name}.".startswith(f"{above}."):
                targets.add(above)
    return targets & set(MODULES)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` as the path that closes it (``[a, b, a]``), or None.

    >>> find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    True
    >>> find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}})
    ['a', 'b', 'c', 'a']
    """
    done: set[str] = set()
    for start in sorted(graph):
        path, stack = [start], [iter(sorted(graph[start]))]  # depth first, without recursion
        while stack:
            node = next(stack[-1], None)
            if node is None:  # every import of path[-1] explored
                done.add(path.pop())
                stack.pop()
            elif node in path:
                return [*path[path.index(node):], node]
            elif node not in done:
                path.append(node)
                stack.append(iter(sorted(graph.get(node, ()))))
    return None


def package_of(name: str) -> str:
    """The subpackage of scorelab a module belongs to (``scorelab.runner``), or ``scorelab``."""
    parts = name.split(".")
    if len(parts) > 1 and (ROOT / parts[1] / "__init__.py").is_file():
        return ".".join(parts[:2])
    return "scorelab"


def _allowance(importer: str, imported: str) -> tuple[str, str] | None:
    """The allowance that lets ``importer`` import ``imported``, if any."""
    return next(((who, what) for who, what in ALLOWED
                 if importer.startswith(who) and imported.startswith(what)), None)


GRAPH = {name: imports_of(name) for name in MODULES}


def test_the_import_graph_is_read_from_the_sources():
    assert "scorelab.reporting" in GRAPH["scorelab.runner._runner"]
    assert "scorelab.runner" in GRAPH["scorelab.calibration._fit"]
    assert "scorelab.runner._checkpoint" in GRAPH["scorelab.runner._runner"]
    assert "scorelab.runner" not in GRAPH["scorelab.runner._runner"]  # its own, running


def test_no_module_imports_itself_through_a_cycle():
    cycle = find_cycle(GRAPH)
    assert cycle is None, "an import cycle: " + " -> ".join(cycle or ())


def _reached_in() -> list[tuple[str, str]]:
    """(importer, imported) for every import of another package's private module."""
    return sorted((importer, imported) for importer, targets in GRAPH.items()
                  for imported in targets
                  if package_of(imported) not in ("scorelab", package_of(importer))
                  and imported != package_of(imported))


def test_packages_import_each_other_only_through_their_inits():
    refused = [pair for pair in _reached_in() if _allowance(*pair) is None]
    assert refused == [], ("import these names from the package's __init__ (export them "
                           "there) instead of its private modules")


def test_every_allowance_is_still_needed():
    used = {_allowance(*pair) for pair in _reached_in()}
    assert set(ALLOWED) <= used, "drop the allowances that no import needs any more"
