"""Write a latent-language run folder: Parquet tables, PNG plots, report.html, manifest.json
(last, so an interrupted run never looks complete)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babelscope.analyses.latent.generation import GenerationView
    from babelscope.analyses.latent.result import LatentResult
    from babelscope.analyses.patching import PatchingResult


def write_latent_run(
    out: str | Path,
    result: LatentResult,
    *,
    views: Sequence[GenerationView] = (),
    title: str = "babelscope: which language does the model think in?",
    argv: Sequence[str] | None = None,
    kind: str = "latent",
    started: float | None = None,
    patching: PatchingResult | None = None,
) -> Path:
    """Write everything for ``result`` into ``out`` as a run of ``kind`` (``latent`` or
    ``demo``) and return the report's path. ``started`` (a ``time.time()``) makes the
    manifest's ``seconds`` cover the whole run, not only the writing. ``patching`` (the demo's
    causal check) adds its tables, plot and sections to the same folder and report."""
    from babelscope.plotting.export import figure_to_png_bytes
    from babelscope.report.html import Report
    from babelscope.report.sections.latent import add_latent_sections, latent_figures
    from babelscope.report.sections.patching import add_patching_sections, patching_figures
    from babelscope.runs import RunFolder

    run = RunFolder(out, kind=kind)
    if started is not None:
        run.started = started
    result.save(run)
    figures = latent_figures(result)
    for stem, fig in figures.items():
        run.write_bytes(f"plots/{stem}.png", figure_to_png_bytes(fig))
    for view in views:
        view.save(run)
    patch_figures = patching_figures(patching) if patching is not None else {}
    if patching is not None:
        patching.save(run)
        for stem, fig in patch_figures.items():
            run.write_bytes(f"plots/{stem}.png", figure_to_png_bytes(fig))
    summary = result.headline()
    settings = dict(result.settings)
    if patching is not None:
        summary["patching"] = patching.findings()
        settings["patching"] = patching.settings
    manifest = {
        "kind": kind,
        "argv": list(argv) if argv is not None else None,
        "models": result.models,
        "settings": settings,
        "summary": summary,
    }
    models = ", ".join(result.models)
    report = Report(title, subtitle=f"Models: {models}")
    add_latent_sections(report, result, figures=figures, views=views)
    if patching is not None:
        add_patching_sections(report, patching, figures=patch_figures)
    report.add_provenance({**manifest, "files": [*run.files(), "report.html"]})
    path = report.write(run.file("report.html"))
    run.finish(manifest)
    return path
