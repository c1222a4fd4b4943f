"""The package layering of DESIGN.md holds: imports point downwards only, and no cycles —
between top-level packages and between the modules inside them.

The scan reads every module of ``src/babelscope`` with :mod:`ast` (nothing is imported or
executed) and records each import of babelscope, wherever it sits: module level, inside a
function (lazy imports), under ``TYPE_CHECKING``, absolute or relative. A lazy import is still a
dependency; hiding a back-edge in a function body is exactly how the old report ↔ analyses
cycle survived.

Inside packages the same scan runs over modules (:func:`module_graph`): no strongly connected
group of modules (registries know their implementations, implementations only the base; a
result's loader and plots sit below it), no analysis importing another analysis package's
submodules (its package ``__init__`` is its public API; ``analyses/geometry`` is a metrics
library anyone may use), and the softcap applied in one file.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
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
    "chrf": 0,  # sacrebleu chrF/chrF++ helpers (steering, translation)
    "plotting": 1,
    "models": 1,
    "languages": 1,
    "runs": 1,
    "capture": 2,
    "data": 2,
    "lens": 3,
    "collect": 4,  # pooled states and text scores over a dataset, shared by the analyses
    "analyses": 5,
    "report": 6,
    "distributed": 6,  # sweeps: plan, executors, Ray workers; cli hands in its commands
    "cli": 7,
    "__init__": 8,  # the `import babelscope` facade: nothing inside the package may use it
}

#: Analysis packages any other analysis may import below their ``__init__``: libraries of
#: metrics, not analyses.
SHARED_ANALYSES = frozenset({"geometry"})

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
    """Strongly connected groups of two or more top-level packages."""
    graph: dict[str, set[str]] = {}
    for source, target, _ in edges:
        graph.setdefault(source, set()).add(target)
        graph.setdefault(target, set())
    return strongly_connected(graph)


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of two or more nodes that reach each other (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
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


# -- modules inside packages -------------------------------------------------------------------

Graph = dict[str, set[str]]  # dotted module -> the modules it imports


def module_files(root: Path) -> dict[str, Path]:
    """Every module below the package ``root`` by dotted name (``babelscope.data.sib``); a
    package's ``__init__.py`` is named as the package (``babelscope.data``)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


Imported = tuple[str, str | None, str | None]  # (module, name taken from it, name bound)


def _imports(module: str, is_package: bool, tree: ast.AST) -> Iterator[Imported]:
    """``(module, name, bound)`` for every import in ``tree``, relative ones resolved:
    ``import a.b`` gives ``("a.b", None, None)``, ``from a import b, c as d`` gives
    ``("a", "b", "b")`` and ``("a", "c", "d")``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, None
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                keep = len(parts) - node.level + (1 if is_package else 0)
                base = ".".join([*parts[:keep], *([base] if base else [])])
            for alias in node.names:
                yield base, alias.name, alias.asname or alias.name


def module_graph(root: Path) -> Graph:
    """Which module imports which, every import kind counted.

    A submodule importing its own package (``from babelscope.analyses.latent import x`` inside
    ``analyses/latent/``) is no edge: Python runs the package's ``__init__`` first whatever the
    submodule does. But where the name is one the ``__init__`` re-exports from a sibling, the
    submodule depends on that sibling (the ``__init__`` is only the way in), so the edge goes
    to the sibling: a re-export must not hide a cycle. Imports of a package from outside it are
    edges to its ``__init__``, which has edges to what it re-exports.
    """
    files = module_files(root)
    trees = {
        name: ast.parse(path.read_text("utf-8"), filename=str(path)) for name, path in files.items()
    }
    packages = {name for name, path in files.items() if path.name == "__init__.py"}

    def resolved(base: str, name: str | None) -> list[str]:
        """The modules an import names: the module itself, and a submodule ``from`` names."""
        return [m for m in (base, f"{base}.{name}" if name else "") if m in files]

    reexports: dict[str, dict[str, str]] = {}  # package -> name -> module its __init__ took it from
    for package in packages:
        for base, name, bound in _imports(package, True, trees[package]):
            found = resolved(base, name)
            if bound is not None and found and found[-1] != package:
                reexports.setdefault(package, {})[bound] = found[-1]

    graph: Graph = {name: set() for name in files}
    for module, tree in trees.items():
        for base, name, _ in _imports(module, module in packages, tree):
            for target in resolved(base, name):
                if target == module:
                    continue
                if module.startswith(target + "."):  # its own package
                    via = reexports.get(target, {}).get(name or "")
                    if (
                        target == base
                        and via
                        and via != module
                        and not module.startswith(via + ".")
                    ):
                        graph[module].add(via)
                    continue
                graph[module].add(target)
    return graph


def _short(module: str) -> str:
    return module.removeprefix("babelscope.")


def module_cycles(graph: Graph) -> list[str]:
    """Each strongly connected group of modules, as ``a ↔ b ↔ c``."""
    return [" ↔ ".join(map(_short, group)) for group in strongly_connected(graph)]


def cross_analysis(graph: Graph) -> list[str]:
    """Imports from one analysis package into another's submodules, as ``a -> b``."""
    out = set()
    for source, targets in graph.items():
        for target in targets:
            s, t = source.split("."), target.split(".")
            both = s[1:2] == t[1:2] == ["analyses"] and len(s) > 2 and len(t) > 3
            if both and s[2] != t[2] and t[2] not in SHARED_ANALYSES:
                out.add(f"{_short(source)} -> {_short(target)}")
    return sorted(out)


def softcap_files(root: Path) -> list[str]:
    """Files that mention both ``softcap`` and ``tanh``: where a softcap is applied."""
    return [
        str(path.relative_to(root.parent))
        for path in module_files(root).values()
        if "softcap" in (text := path.read_text("utf-8")) and "tanh" in text
    ]


def _listed(what: str, found: list[str]) -> str:
    return f"{len(found)} {what}:\n  " + "\n  ".join(found)


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


def test_the_module_scan_sees_the_package() -> None:
    graph = module_graph(SRC)
    # known edges: lazy, under TYPE_CHECKING, into a package __init__, out of an __init__
    assert "babelscope.runs" in graph["babelscope.analyses.latent.result"]
    assert "babelscope.runs" in graph["babelscope.analyses.latent.persist"]
    assert "babelscope.analyses.latent" in graph["babelscope.cli.cmd_latent"]
    assert "babelscope.analyses.steering.registry" in graph["babelscope.analyses.steering"]


def test_no_module_cycle_inside_packages() -> None:
    found = module_cycles(module_graph(SRC))
    assert not found, _listed("module cycles (break each: see this file's docstring)", found)


def test_no_analysis_imports_another_analysis_internals() -> None:
    found = cross_analysis(module_graph(SRC))
    assert not found, _listed(
        "imports into another analysis package's submodules (move the piece below analyses/, "
        "or import the package's public __init__)",
        found,
    )


def test_the_softcap_is_applied_in_one_file() -> None:
    found = softcap_files(SRC)
    assert len(found) <= 1, _listed("files applying a softcap (ask lens/unembed.py)", found)


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


def test_a_module_cycle_is_caught_whatever_the_import_kind(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            # lazy one way, relative the other: a cycle
            "analyses/latent/result.py": (
                "def load():\n    from babelscope.analyses.latent.persist import read\n"
            ),
            "analyses/latent/persist.py": "from .result import Result\n",
            # under TYPE_CHECKING, through `from package import module`: a cycle of three
            "data/hub.py": "from babelscope.data import sib\n",
            "data/sib.py": "from . import files\n",
            "data/files.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    import babelscope.data.hub\n"
            ),
            # a chain and a module importing its own package are no cycles
            "analyses/latent/stats.py": "import babelscope.analyses.latent\nimport numpy\n",
            "analyses/latent/api.py": "from babelscope.analyses.latent.stats import z\n",
        },
    )
    assert module_cycles(module_graph(root)) == [
        "analyses.latent.persist ↔ analyses.latent.result",
        "data.files ↔ data.hub ↔ data.sib",
    ]


def test_a_cycle_hidden_behind_a_package_reexport_is_caught(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            # the registry imports a method, which takes the base from the package __init__,
            # which re-exports it from the registry's module: method -> registry really
            "analyses/steering/__init__.py": (
                "from babelscope.analyses.steering.registry import Interface as Base\n"
                "from babelscope.analyses.steering.registry import method_for\n"
                "VERSION = 1\n"
            ),
            "analyses/steering/registry.py": (
                "class Interface: ...\n"
                "def method_for():\n    from babelscope.analyses.steering import lape\n"
            ),
            "analyses/steering/lape.py": "from babelscope.analyses.steering import Base\n",
            # a name the __init__ defines itself is no dependency on a sibling
            "analyses/steering/gact.py": (
                "from babelscope.analyses.steering import VERSION\n"
                "from babelscope.analyses.steering.registry import Interface\n"
            ),
        },
    )
    graph = module_graph(root)
    assert graph["babelscope.analyses.steering.lape"] == {"babelscope.analyses.steering.registry"}
    assert module_cycles(graph) == ["analyses.steering.lape ↔ analyses.steering.registry"]


def test_an_import_into_another_analysis_internals_is_caught(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "analyses/ranking/__init__.py": "from .collect import fill_store\n",
            "analyses/ranking/collect.py": "def fill_store(): ...\n",
            "analyses/ranking/forward.py": "from .collect import fill_store\n",  # its own: fine
            "analyses/geometry/cka.py": "def linear_cka(): ...\n",
            "analyses/sib/states.py": (
                "from babelscope.analyses.ranking import fill_store\n"  # public: allowed
                "from babelscope.analyses.geometry.cka import linear_cka\n"  # library: allowed
                "def collect():\n    from ..ranking import forward\n"  # lazy, relative: caught
            ),
            "analyses/steering/activations.py": (
                "import babelscope.analyses.ranking.collect\n"  # caught
            ),
            # not an analysis (the package layering judges this one)
            "collect/store.py": "from babelscope.analyses.ranking.collect import x\n",
        },
    )
    assert cross_analysis(module_graph(root)) == [
        "analyses.sib.states -> analyses.ranking.forward",
        "analyses.steering.activations -> analyses.ranking.collect",
    ]


def test_a_second_softcap_is_caught(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "lens/unembed.py": "def f(x, softcap):\n    return softcap * (x / softcap).tanh()\n",
            "lens/divergence.py": "import torch\ny = torch.tanh(x / cfg.softcap) * cfg.softcap\n",
            "models/arch.py": "softcap: float | None = None\n",  # names it, applies nothing
            "analyses/geometry/act.py": "import numpy as np\nnp.tanh(1.0)\n",  # no softcap
        },
    )
    assert softcap_files(root) == ["babelscope/lens/divergence.py", "babelscope/lens/unembed.py"]
