"""The SIB-200 sections of a report, built from a :class:`SibResult`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from babelscope.analyses.sib.settings import (
    CHANCE,
    LINEAR_PROTOCOLS,
    PROMPTED_PROTOCOLS,
    PROTOCOL_LABELS,
)
from babelscope.runs import slug

if TYPE_CHECKING:
    from babelscope.analyses.sib.result import SibResult
    from babelscope.report.html import Report
    from babelscope.runs import RunFolder

_COLUMNS = [
    "language",
    "name",
    "script",
    "resource_level",
    *LINEAR_PROTOCOLS,
    "in_language_best",
    "in_language_best_layer",
    *PROMPTED_PROTOCOLS,
]


def sib_figures(result: SibResult) -> dict[str, bytes]:
    """PNG bytes keyed ``languages``, ``cross_lingual``, ``prompted`` (when run), ``layers``."""
    from babelscope.plotting.export import figure_to_png_bytes

    figures = {"languages": figure_to_png_bytes(result.plot("languages"))}
    figures["cross_lingual"] = figure_to_png_bytes(
        result.plot("languages", protocol="cross_lingual")
    )
    if result.summary["prompted"].notna().any():
        figures["prompted"] = figure_to_png_bytes(result.plot("languages", protocol="prompted"))
    figures["layers"] = figure_to_png_bytes(result.plot("layers"))
    return figures


def add_sib_sections(
    report: Report,
    result: SibResult,
    *,
    figures: dict[str, bytes] | None = None,
    prefix: str | None = None,
) -> None:
    """Append the SIB-200 sections (``prefix``: section-id prefix, unique per run)."""
    drawn = figures if figures is not None else sib_figures(result)
    key = prefix or f"sib-{slug(result.model_name)}"
    s = result.settings
    section = report.add_section(key, f"SIB-200 topic classification: {result.model_name}")
    section.add_text(
        f"Seven topics, chance {CHANCE:.3f}. Linear protocols read the {s['pooling']} pooled "
        f"states; the headline layer {result.selected_layer} was chosen by {s.get('cv_folds')}"
        f"-fold cross-validation on {result.pivot}'s training states (never the evaluation "
        f"split); `_best` columns pick the best layer per language on the evaluation split "
        f"and are optimistic. Prompted: {s['shots']} examples, labels scored by summed "
        "log-probability, per label token, and summed after contextual calibration (the "
        "label prior from content-free texts divided out). Intervals: t over the 10 draws for the "
        "8-per-label protocols, Wilson over sentences otherwise."
    )
    section.add_metrics(result.headline(), primary="median in_language")
    titles = {
        "languages": PROTOCOL_LABELS["in_language"],
        "cross_lingual": PROTOCOL_LABELS["cross_lingual"],
        "prompted": PROTOCOL_LABELS["prompted"],
    }
    for kind, title in titles.items():
        if kind in drawn:
            section.add_figure(drawn[kind], f"Accuracy per language: {title}; dashed: chance.")
    shown = [c for c in _COLUMNS if c in result.summary.columns]
    section.add_table(result.summary[shown], "Per language.", max_rows=None, float_format="{:.3f}")
    layers = report.add_section(f"{key}-layers", f"SIB-200 per layer: {result.model_name}")
    layers.add_figure(drawn["layers"], "Mean accuracy over languages per layer and protocol.")


def write_sib_report(out: RunFolder, result: SibResult, timings: dict[str, float]) -> None:
    from babelscope.report.html import Report

    figures = sib_figures(result)
    for kind, png in figures.items():
        out.write_bytes(f"plots/sib_{kind}.png", png)
    report = Report(
        f"SIB-200: {result.model_name}",
        subtitle=f"{result.data['spec']} ({result.data['split']}), {len(result.summary)} languages",
    )
    add_sib_sections(report, result, figures=figures)
    report.add_provenance(
        {"model": result.model, "data": result.data, "settings": result.settings, **timings}
    )
    report.write(out.file("report.html"))
