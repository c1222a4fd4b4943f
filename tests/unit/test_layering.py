"""The package layering of DESIGN.md holds: imports point downwards only, and no cycles.

The scan reads every module of ``src/babelscope`` with :mod:`ast` (nothing is imported or
executed) and records each import of babelscope, wherever it sits: module level, inside a
function (lazy imports), under ``TYPE_CHECKING``, absolute or relative. A lazy import is still a
dependency; hiding a back-edge in a function body is exactly how the old report ↔ analyses
cycle survived.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "babelscope"

#: Layer of each top-level package or module; a module may import only strictly lower layers.
#: ``cli → report → analyses → collect → (lens, capture) → models``; ``analyses → languages,
#: data, plotting``; ``report → plotting``; plotting is a leaf over the small utilities.
LAYERS: dict[str, int] = {
    "_version": 0,
    "errors": 0,
    "atomic": 0,
    "paths": 0,
    "plotting": 1,
    "models": 1,
    "languages": 1,
    "runs": 1,
    "capture": 2,
    "data": 2,
    "lens": 3,
    "collect": 4,  # states and bits over a dataset through the store: shared by the analyses
    "analyses": 5,
    "report": 6,
    "distributed": 6,  # the sweep's shard workers: analyses and below, run by cli's sweep
    "cli": 7,
    "__init__": 8,  # the `import babelscope` facade: nothing inside the package may use it
}

Edge = tuple[str, str, str]  # (from package, to package, file relative to the package root)


def _top(parts: list[str], known: Iterable[str]) -> str:
    """The top-level package a dotted path below ``babelscope`` names (``__init__`` for the
    package itself or a name the facade exports, such as ``from babelscope import capture``
    when ``capture`` is no module)."""
    return parts[0] if parts and parts[0] in known else "__init__"


def scan(root: Path) -> list[Edge]:
    """Every import from one top-level part of the package ``root`` into another."""
    known = {p.name.removesuffix(".py") for p in root.iterdir() if p.suffix == ".py" or p.is_dir()}
    edges: list[Edge] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        source = rel.parts[0].removesuffix(".py")
        package = ["babelscope", *rel.parts[:-1]]  # the package a relative import starts from
        for node in ast.walk(ast.parse(path.read_text("utf-8"), filename=str(path))):
            targets: list[list[str]] = []
            if isinstance(node, ast.Import):
                targets = [alias.name.split(".") for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    module = [*base, *(node.module.split(".") if node.module else [])]
                else:
                    module = (node.module or "").split(".")
                # `from babelscope import x`: x may be a submodule, so it names the target
                targets = (
                    [[*module, alias.name] for alias in node.names]
                    if module == ["babelscope"]
                    else [module]
                )
            for dotted in targets:
                if dotted[0] != "babelscope":
                    continue
                target = _top(dotted[1:], known)
                if target != source:
                    edges.append((source, target, str(rel)))
    return edges


def back_edges(edges: Iterable[Edge], layers: dict[str, int] = LAYERS) -> list[str]:
    """Imports that do not point strictly downwards, or involve a package with no layer."""
    bad = []
    for source, target, where in edges:
        if source not in layers or target not in layers:
            unknown = source if source not in layers else target
            bad.append(f"{where}: {unknown!r} has no layer; add it to LAYERS with its place")
        elif layers[target] >= layers[source]:
            bad.append(f"{where}: {source} imports {target}, which is not below it")
    return sorted(set(bad))


def cycles(edges: Iterable[Edge]) -> list[list[str]]:
    """Strongly connected groups of two or more top-level packages (Tarjan's algorithm)."""
    graph: dict[str, set[str]] = {}
    for source, target, _ in edges:
        graph.setdefault(source, set()).add(target)
        graph.setdefault(target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


# -- the real package --------------------------------------------------------------------------


def test_the_scan_sees_the_package() -> None:
    edges = scan(SRC)
    pairs = {(s, t) for s, t, _ in edges}
    # known downward edges, lazy ones included: the scan must not be blind
    assert ("cli", "report") in pairs and ("analyses", "plotting") in pairs
    assert ("report", "analyses") in pairs and ("lens", "capture") in pairs


def test_every_top_level_package_has_a_layer() -> None:
    names = {p.name.removesuffix(".py") for p in SRC.iterdir() if p.suffix == ".py" or p.is_dir()}
    names -= {"__pycache__", "py.typed"}
    assert sorted(names - set(LAYERS)) == []


def test_imports_point_downwards_only() -> None:
    assert back_edges(scan(SRC)) == []


def test_analyses_never_import_report_or_cli() -> None:
    assert [e for e in scan(SRC) if e[0] == "analyses" and e[1] in ("report", "cli")] == []


def test_plotting_is_a_leaf() -> None:
    used = {target for source, target, _ in scan(SRC) if source == "plotting"}
    assert used <= {"atomic", "errors", "_version"}


def test_no_import_cycle_between_top_level_packages() -> None:
    assert cycles(scan(SRC)) == []


# -- the scanner can fail ----------------------------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "babelscope"
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, "utf-8")
    for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        (folder / "__init__.py").touch()
    return root


def test_a_lazy_back_edge_is_caught(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "report/plots.py": "import matplotlib\n",
            "analyses/latent/result.py": (
                "def plot():\n    from babelscope.report.plots import plot_layer_curves\n"
            ),
        },
    )
    edges = scan(root)
    assert ("analyses", "report", "analyses/latent/result.py") in edges
    assert back_edges(edges) == [
        "analyses/latent/result.py: analyses imports report, which is not below it"
    ]


def test_relative_and_type_checking_back_edges_are_caught(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "plotting/curves.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from ..analyses.latent import result\n"
            ),
            "models/loader.py": "from .. import languages\n",
            "languages/registry.py": "X = 1\n",
            "analyses/latent/result.py": "from . import stats\nfrom .stats import x\n",
        },
    )
    edges = scan(root)
    assert ("plotting", "analyses", "plotting/curves.py") in edges
    assert ("models", "languages", "models/loader.py") in edges
    assert not [e for e in edges if e[0] == "analyses"]  # within a package: not an edge
    assert len(back_edges(edges)) == 2


def test_a_cycle_is_caught(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "report/sections.py": "from babelscope.analyses import plots\n",
            "analyses/plots.py": "import babelscope.report.sections\n",
            "cli/main.py": "import babelscope.report\n",
        },
    )
    assert cycles(scan(root)) == [["analyses", "report"]]


def test_an_unknown_package_and_the_facade_are_reported(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "newthing/x.py": "import babelscope.models\n",
            "models/y.py": "from babelscope import load_model\n",
        },
    )
    bad = back_edges(scan(root))
    assert any("'newthing' has no layer" in line for line in bad)
    assert "models/y.py: models imports __init__, which is not below it" in bad
