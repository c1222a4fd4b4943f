"""The "alignment vs performance" section: ranking metrics against SIB-200 accuracy."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from babelscope.analyses.ranking.settings import COMPOSITE_METRICS, METRIC_LABELS
from babelscope.analyses.sib.settings import PROTOCOL_LABELS
from babelscope.runs import slug

if TYPE_CHECKING:
    from babelscope.report.html import Report
    from babelscope.runs import RunFolder

#: The metrics drawn as scatters (the composite ones and the score they make).
SCATTER_METRICS = (*COMPOSITE_METRICS, "score")


def scatter_figures(frame: pd.DataFrame, model: str, task: str) -> dict[str, bytes]:
    """PNG bytes per metric: ``task`` accuracy against the metric, one point per language."""
    from babelscope.plotting.export import figure_to_png_bytes
    from babelscope.plotting.scatter import plot_scatter

    out = {}
    for metric in SCATTER_METRICS:
        if metric not in frame.columns or frame[metric].notna().sum() < 2:
            continue
        figure = plot_scatter(
            frame,
            x=metric,
            y=task,
            label="language",
            color_by="script" if "script" in frame.columns else None,
            annotate=len(frame) if len(frame) <= 20 else 0,  # few languages: name them all
            diagonal=False,
            title=f"{model}: {PROTOCOL_LABELS.get(task, task)} vs {metric}",
            xlabel=METRIC_LABELS.get(metric, metric),
            ylabel=f"SIB-200 accuracy ({task})",
        )
        out[metric] = figure_to_png_bytes(figure)
    return out


def add_correlate_sections(
    report: Report,
    table: pd.DataFrame,
    figures: dict[str, dict[str, bytes]],
    *,
    task: str,
) -> None:
    for model, drawn in figures.items():
        part = table[table["model"] == model]
        section = report.add_section(f"correlate-{slug(model)}", f"Alignment vs SIB-200: {model}")
        ordered = part[part["task"] == task].sort_values(
            "spearman", key=lambda s: -s.abs(), na_position="last"
        )
        if not ordered.dropna(subset=["spearman"]).empty:
            top = ordered.iloc[0]
            section.add_text(
                f"Across {int(top['n'])} languages, the strongest predictor of {task} accuracy "
                f"is {top['metric']}: Spearman {top['spearman']:.2f} "
                f"[{top['spearman_lo']:.2f}, {top['spearman_hi']:.2f}], Pearson "
                f"{top['pearson']:.2f} [{top['pearson_lo']:.2f}, {top['pearson_hi']:.2f}] "
                "(95 % bootstrap over languages). Text-side costs (token premium, bits) are "
                "expected to correlate negatively."
            )
            partial = top.get("partial_spearman")
            if top.get("control") and pd.notna(partial):
                section.add_text(
                    f"With {top['control']} partialled out of both ranks, {top['metric']}'s "
                    f"Spearman is {partial:.2f} [{top['partial_spearman_lo']:.2f}, "
                    f"{top['partial_spearman_hi']:.2f}]: an interval that covers 0 means the "
                    "metric predicts nothing beyond how well the tokenizer covers the language."
                )
        for metric, png in drawn.items():
            section.add_figure(png, f"{task} accuracy against {metric}, one point per language.")
        section.add_table(
            ordered, f"Every metric against {task}.", max_rows=None, float_format="{:.3f}"
        )
        others = part[part["task"] != task]
        if not others.empty:
            section.add_table(
                others,
                "Every metric against the other protocols.",
                max_rows=None,
                float_format="{:.3f}",
            )


def write_correlate_report(
    out: RunFolder, table: pd.DataFrame, joined: dict[str, pd.DataFrame], *, task: str
) -> None:
    from babelscope.report.html import Report

    figures = {}
    for model, frame in joined.items():
        figures[model] = scatter_figures(frame, model, task)
        for metric, png in figures[model].items():
            out.write_bytes(f"plots/corr_{slug(model)}_{metric}.png", png)
    report = Report("Does representation predict performance?", subtitle="ranking vs SIB-200")
    add_correlate_sections(report, table, figures, task=task)
    report.write(out.file("report.html"))
