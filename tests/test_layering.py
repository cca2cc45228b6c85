"""The layering, read from the source: no import cycles between packages, the sans-I/O codec
imports no I/O, ``ble`` never imports the simulator, and no module falls back quietly when one
of treadctl's own modules fails to import.

Every import counts, including those inside functions: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OWN = ("treadctl", "simulators")


def _modules() -> Iterator[tuple[str, Path]]:
    for top in OWN:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def _unit(module: str) -> str:
    """The unit of layering: a sub-package or top-level module (``treadctl.ble``,
    ``treadctl.config``, ``simulators.treadmill``)."""
    return ".".join(module.split(".")[:2])


def _package_graph() -> dict[str, dict[str, list[str]]]:
    """unit -> unit it imports -> the imports that make the edge (for the failure message)."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for module, path in _modules():
        for target in _imports(path):
            if target.split(".")[0] in OWN and _unit(target) != _unit(module):
                graph[_unit(module)][_unit(target)].append(f"{module} -> {target}")
    return graph


def _cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Strongly connected components of more than one unit (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(unit: str) -> None:
        index[unit] = low[unit] = len(index)
        stack.append(unit)
        on_stack.add(unit)
        for other in graph.get(unit, {}):
            if other not in index:
                visit(other)
                low[unit] = min(low[unit], low[other])
            elif other in on_stack:
                low[unit] = min(low[unit], index[other])
        if low[unit] == index[unit]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == unit:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for unit in list(graph):
        if unit not in index:
            visit(unit)
    return found


def test_no_import_cycles_between_packages() -> None:
    graph = _package_graph()
    problems = []
    for component in _cycles(graph):
        edges = [
            edge
            for unit in component
            for other, made_by in graph[unit].items()
            if other in component
            for edge in made_by
        ]
        problems.append(f"cycle {component}:\n  " + "\n  ".join(edges))
    assert not problems, "\n".join(problems)


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph: dict[str, dict[str, list[str]]] = {
        "a": {"b": ["a.x -> b.y"]},
        "b": {"c": ["b.y -> c"]},
        "c": {"a": ["c -> a"]},
        "d": {"a": ["d -> a"]},
    }
    assert _cycles(graph) == [["a", "b", "c"]]


def test_the_codec_is_sans_io() -> None:
    """``treadctl.ftms`` and ``treadctl.hrs``: bytes in, typed events out. They may use the
    unit conversions (``treadctl.units``, itself a leaf) and nothing else of treadctl's."""
    io = ("asyncio", "bleak", "socket", "threading", "aiomqtt", "textual", "simulators")
    for module, path in _modules():
        if _unit(module) in ("treadctl.ftms", "treadctl.hrs"):
            bad = [t for t in _imports(path) if t.split(".")[0] in io]
            own = [t for t in _imports(path) if t.startswith("treadctl.")]
            below = ("treadctl.ftms", "treadctl.hrs", "treadctl.units")
            above = [t for t in own if _unit(t) not in below]
            assert not bad, f"{module} imports {bad}"
            assert not above, f"{module} imports layers above the codec: {above}"


def test_the_unit_conversions_are_a_leaf() -> None:
    own = [t for t in _imports(ROOT / "treadctl" / "units.py") if t.split(".")[0] in OWN]
    assert own == []


def test_only_the_composition_layer_imports_the_simulator() -> None:
    """The real client never depends on the fake treadmill; the link that wires the two
    (``treadctl.simulated_link``) and the commands that offer ``--simulate`` do."""
    allowed = {"treadctl.simulated_link", "treadctl.wiring", "treadctl.commands"}
    for module, path in _modules():
        if module.startswith("treadctl") and _unit(module) not in allowed:
            bad = [t for t in _imports(path) if t.split(".")[0] == "simulators"]
            assert not bad, f"{module} imports the simulator: {bad}"


def test_no_quiet_fallback_when_an_own_module_fails_to_import() -> None:
    """``try: from treadctl.x import y / except ImportError`` hides a broken install or a
    renamed module; only optional third-party packages may be guarded so. ``treadctl.cli``
    is the one place that reports a part that cannot be loaded (one line, exit 2)."""
    found = []
    for module, path in _modules():
        if module == "treadctl.cli":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Try):
                continue
            guards = [
                h
                for h in node.handlers
                if isinstance(h.type, ast.Name)
                and h.type.id in ("ImportError", "ModuleNotFoundError")
            ]
            if not guards:
                continue
            for inner in node.body:
                for sub in ast.walk(inner):
                    if isinstance(sub, ast.ImportFrom) and (sub.module or "").split(".")[0] in OWN:
                        found.append(f"{module}:{sub.lineno} guards {sub.module}")
                    if isinstance(sub, ast.Import) and any(
                        a.name.split(".")[0] in OWN for a in sub.names
                    ):
                        found.append(f"{module}:{sub.lineno} guards an own import")
    assert not found, "\n".join(found)
