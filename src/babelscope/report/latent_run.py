"""Write a latent-language run folder: Parquet tables, PNG plots, report.html, manifest.json
(last, so an interrupted run never looks complete)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from babelscope.analyses.latent.generation import GenerationView
    from babelscope.analyses.latent.result import LatentResult


def write_latent_run(
    out: str | Path,
    result: LatentResult,
    *,
    views: Sequence[GenerationView] = (),
    title: str = "babelscope: which language does the model think in?",
    command: str | None = None,
) -> Path:
    """Write everything for ``result`` into ``out`` and return the report's path."""
    from babelscope.report.html import Report
    from babelscope.plotting.export import figure_to_png_bytes
    from babelscope.report.sections.latent import add_latent_sections, latent_figures
    from babelscope.runs import RunFolder

    run = RunFolder(out)
    result.save(run)
    figures = latent_figures(result)
    for stem, fig in figures.items():
        run.write_bytes(f"plots/{stem}.png", figure_to_png_bytes(fig))
    for view in views:
        run.write_table(f"generation_{_slug(view.model)}", view.to_frame())
    manifest: dict[str, Any] = {
        "kind": "latent",
        "command": command,
        "models": result.models,
        "settings": result.settings,
        "files": sorted(
            str(p.relative_to(run.path))
            for p in run.path.rglob("*.*")
            if p.is_file() and not p.name.startswith(".")
        ),
    }
    models = ", ".join(result.models)
    report = Report(title, subtitle=f"Models: {models}")
    add_latent_sections(report, result, figures=figures, views=views)
    report.add_provenance(manifest)
    path = report.write(run.file("report.html"))
    manifest["files"].append("report.html")
    run.finish(manifest)
    return path


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text)
