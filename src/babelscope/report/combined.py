"""One HTML report from several finished run folders.

Latent-language runs (``babelscope latent`` / ``demo``, minutes) and rankings (``babelscope
rank``, an hour per model) run separately; :func:`combined_report` reads their folders and puts
every result in one report, with a comparison of the rankings when there are two or more. Only
finished runs are read: a folder whose manifest is not ``"status": "complete"`` (interrupted,
or being overwritten) is refused, never reported as if it were whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babelscope.errors import DataError
from babelscope.runs import read_manifest, slug

if TYPE_CHECKING:
    from babelscope.analyses.latent.generation import GenerationView
    from babelscope.analyses.ranking.result import RankResult
    from babelscope.analyses.sib.result import SibResult
    from babelscope.analyses.steering.result import SteerResult
    from babelscope.report.html import Report

#: Run kinds the report reads, and the family of sections each gets (a demo is a latent run).
KINDS = {
    "latent": "latent",
    "demo": "latent",
    "rank": "rank",
    "patching": "patching",
    "sib": "sib",
    "steer": "steer",
}
_FIX = "pass the --out folder of a finished babelscope latent, demo, rank, patch, sib or steer run"


@dataclass(frozen=True)
class FinishedRun:
    """A run folder whose manifest says it is complete, and what kind of run it was."""

    path: Path
    kind: str
    manifest: dict[str, Any]

    @property
    def family(self) -> str:
        """``latent`` or ``rank``: which result class and sections the run needs."""
        return KINDS[self.kind]

    @property
    def models(self) -> list[str]:
        return [str(name) for name in self.manifest.get("models") or {}]

    def provenance(self) -> dict[str, Any]:
        """The manifest's model, data and settings summary (what reproduces the run)."""
        keep = ("kind", "command", "argv", "models", "data", "settings", "finished")
        summary = {key: self.manifest[key] for key in keep if self.manifest.get(key) is not None}
        summary["kind"] = self.kind
        version = self.manifest.get("environment", {}).get("babelscope")
        if version:
            summary["babelscope"] = version
        return summary


def read_run(path: str | Path) -> FinishedRun:
    """Check that ``path`` is a finished run folder of a kind the report reads (DataError
    otherwise)."""
    folder = Path(path).expanduser()
    manifest = read_manifest(folder)
    kind = manifest.get("kind")
    if kind not in KINDS:
        raise DataError(
            f"{folder} holds a run of unknown kind ({kind or 'not recorded'})",
            fix="babelscope report reads latent, demo, rank, patch, sib and steer run folders",
        )
    return FinishedRun(folder, str(kind), manifest)


def combined_report(paths: Sequence[str | Path], *, title: str | None = None) -> Report:
    """Every run's sections in one :class:`Report`, in the order given, then a comparison of
    the rankings (two or more rank runs) and one provenance entry per run.

    Every folder is checked before any is loaded, so a bad one fails fast."""
    from babelscope.analyses.latent.result import LatentResult
    from babelscope.analyses.patching import PatchingResult
    from babelscope.analyses.patching.result import RUNS_JSON as PATCHING_RUNS
    from babelscope.analyses.ranking.result import RankResult
    from babelscope.analyses.sib.result import SibResult
    from babelscope.analyses.steering.result import SteerResult
    from babelscope.report.html import Report
    from babelscope.report.sections.latent import add_latent_sections
    from babelscope.report.sections.patching import add_patching_sections
    from babelscope.report.sections.ranking import add_rank_comparison, add_rank_sections
    from babelscope.report.sections.sib import add_sib_sections
    from babelscope.report.sections.steering import add_steer_sections

    if not paths:
        raise DataError("no run folder given", fix=_FIX)
    runs = [read_run(path) for path in paths]
    seen: set[Path] = set()
    for run in runs:
        if run.path.resolve() in seen:
            raise DataError(f"{run.path} is given twice", fix="name each run folder once")
        seen.add(run.path.resolve())
    kinds = {run.family for run in runs}
    models = list(dict.fromkeys(name for run in runs for name in run.models))
    report = Report(
        title or _default_title(kinds),
        subtitle=f"{len(runs)} run{'s' * (len(runs) > 1)}; models: {', '.join(models)}",
    )
    _add_overview(report, runs)

    used = {"runs", "provenance", "rank-comparison"}
    several = sum(run.family == "latent" for run in runs) > 1
    # Load everything before drawing anything: a broken folder fails fast.
    loaders: dict[
        str,
        Callable[[Path], LatentResult | RankResult | PatchingResult | SibResult | SteerResult],
    ] = {
        "latent": LatentResult.load,
        "rank": RankResult.load,
        "patching": PatchingResult.load,
        "sib": SibResult.load,
        "steer": SteerResult.load,
    }
    results = {run.path: loaders[run.family](run.path) for run in runs}
    views = {run.path: _generation_views(run) for run in runs if run.family == "latent"}
    labels = _rank_labels({p: r for p, r in results.items() if isinstance(r, RankResult)})
    rankings: list[tuple[str, RankResult]] = []
    for run in runs:
        result = results[run.path]
        if isinstance(result, LatentResult):
            add_latent_sections(
                report,
                result,
                views=views[run.path],
                prefix=_prefix("latent", slug(run.path.name) if several else "", used),
                label=run.path.name if several else None,
            )
            if (run.path / PATCHING_RUNS).is_file():  # the demo's patching check
                add_patching_sections(
                    report,
                    PatchingResult.load(run.path),
                    prefix=_prefix("patching", slug(run.path.name), used),
                )
        elif isinstance(result, SibResult):
            add_sib_sections(report, result, prefix=_prefix("sib", slug(run.path.name), used))
        elif isinstance(result, PatchingResult):
            add_patching_sections(
                report, result, prefix=_prefix("patching", slug(run.path.name), used)
            )
        elif isinstance(result, SteerResult):
            add_steer_sections(report, result, prefix=_prefix("steer", slug(run.path.name), used))
        else:
            short = result.model_name.rstrip("/").rsplit("/", 1)[-1]  # org/name, a path
            prefix = _prefix("rank", slug(short), used)
            label = labels[run.path]
            add_rank_sections(report, result, prefix=prefix, label=label)
            rankings.append((label, result))
    if len(rankings) > 1:
        add_rank_comparison(
            report,
            [result for _, result in rankings],
            labels=[label for label, _ in rankings],
        )
    report.add_provenance({str(run.path): run.provenance() for run in runs})
    return report


def _rank_labels(results: dict[Path, RankResult]) -> dict[Path, str]:
    """Each ranking's model name, with its folder's name added where two runs share a model."""
    names = {path: result.model_name for path, result in results.items()}
    counts = list(names.values())
    return {
        path: name if counts.count(name) == 1 else f"{name} ({path.name})"
        for path, name in names.items()
    }


def _default_title(kinds: set[str]) -> str:
    if kinds == {"latent"}:
        return "babelscope: which language does the model think in?"
    if kinds == {"rank"}:
        return "babelscope: how well is each language represented?"
    if kinds == {"steer"}:
        return "babelscope: moving the model between languages"
    return "babelscope: latent language and language ranking"


def _add_overview(report: Report, runs: Sequence[FinishedRun]) -> None:
    import pandas as pd

    table = pd.DataFrame(
        {
            "run folder": [str(run.path) for run in runs],
            "kind": [run.kind for run in runs],
            "models": [", ".join(run.models) for run in runs],
            "finished": [str(run.manifest.get("finished", "")) for run in runs],
        }
    )
    section = report.add_section("runs", "Runs in this report")
    section.add_text(
        "Each run folder's results follow in this order; the provenance section at the end "
        "holds each run's model hashes, data and settings."
    )
    section.add_table(table, "The finished run folders combined here.", max_rows=None)


def _generation_views(run: FinishedRun) -> list[GenerationView]:
    """The generation views a latent run saved (``generation_<model>.parquet``, as listed in
    its manifest)."""
    from babelscope.analyses.latent.generation import GenerationView

    listed = run.manifest.get("files")
    if isinstance(listed, list):
        names = [str(name) for name in listed]
    else:
        names = [p.name for p in run.path.glob("generation_*.parquet")]
    chosen = sorted(n for n in names if n.startswith("generation_") and n.endswith(".parquet"))
    return [GenerationView.load(run.path / name) for name in chosen]


def _prefix(kind: str, slug: str, used: set[str]) -> str:
    """A section-id prefix no other run's ids can collide with: ``kind-slug``, else
    ``kind2-slug``, ``kind3-slug`` … (ids are the prefix, or the prefix and ``-suffix``)."""

    def clash(a: str, b: str) -> bool:
        return a == b or a.startswith(f"{b}-") or b.startswith(f"{a}-")

    n = 1
    candidate = f"{kind}-{slug}" if slug else kind
    while any(clash(candidate, taken) for taken in used):
        n += 1
        candidate = f"{kind}{n}-{slug}" if slug else f"{kind}{n}"
    used.add(candidate)
    return candidate
