"""The activation-patching section of a report, and the run folder ``babelscope patch`` writes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from babelscope.analyses.patching import PatchingResult
    from babelscope.report.html import Report

METHOD = (
    "Method (Dumas et al. 2024, shifted translation): a source prompt translates concept A "
    'from S1 into T1 (`Deutsch: "Buch" - Italiano: "`), a target prompt translates another '
    "concept B from S2 into T2. The source prompt's residual state at its last token, taken "
    "after layer ℓ, replaces the target prompt's state at its last token at the same layer "
    "(that layer only); the model then runs to its own output. P(X in L) is the final "
    "probability summed over the tokens that are prefixes of concept X's word in language L. "
    "If the state at ℓ holds the concept without its output language, the model answers A in "
    "T2: P(A in T2) rises while P(A in T1) stays low. Patching layer 0 swaps only the last "
    "token's embedding (both prompts end in the same quote token); patching the last layer "
    "returns the source prompt's own answer. Pairs whose measured token sets share a token "
    'are skipped; curves are means over pairs with 95% intervals. "Leading" lists which '
    "set has the highest mean at each patched layer; A beats B only counts where P(A in T2) "
    "also reaches 0.05; the lift is patched minus unpatched P(A in T2) on the same target "
    "prompt, counted where its paired 95% interval is above zero."
)

SHOWN = [
    "model",
    "s1",
    "t1",
    "s2",
    "t2",
    "n_pairs",
    "leading",
    "first_layer_a_beats_b",
    "last_layer_a_beats_b",
    "peak_a_in_t2",
    "peak_layer",
    "b_in_t2_at_peak",
    "a_in_t1_at_peak",
    "layers_a_in_t2_lifted",
    "max_a_in_t2_lift",
    "n_layers",
    "unpatched_target_b_in_t2",
    "unpatched_source_a_in_t1",
    "n_skipped_collision",
    "seconds",
]


def patching_figures(result: PatchingResult) -> dict[str, Figure]:
    """Every patching figure, keyed by a file-name stem."""
    if not any(len(run.probs) for run in result.runs):
        return {}
    return {"patching_layers": result.plot()}


def add_patching_sections(
    report: Report,
    result: PatchingResult,
    *,
    figures: dict[str, Figure] | None = None,
    prefix: str = "patching",
) -> None:
    """Append the patching sections, with ids ``<prefix>-summary`` and ``<prefix>-pairs``."""
    figs = figures if figures is not None else patching_figures(result)
    section = report.add_section(f"{prefix}-summary", "Activation patching: concept or language?")
    for sentence in result.findings():
        section.add_text(sentence)
    section.add_text(METHOD)
    if "patching_layers" in figs:
        section.add_figure(
            figs["patching_layers"],
            "Final probability of the patched-in concept A in the target prompt's language "
            "(T2) and in the source prompt's (T1), and of the target's own concept B in T2 and "
            "in T1, against the patched layer; n = pairs. B in T1 means the patched state "
            "brought the source's output language but the concept still came from the target "
            "prompt's context.",
        )
    summary = result.summary_frame()
    if len(summary):
        section.add_table(
            summary[[c for c in SHOWN if c in summary.columns]],
            "One row per model and setup: the leading set by layer, the layers where P(A in T2) "
            "beats P(B in T2) or rises above its unpatched value, the peak of P(A in T2) and "
            "the unpatched baselines.",
            max_rows=100,
        )
    pairs = result.pairs_frame()
    if len(pairs):
        examples = report.add_section(f"{prefix}-pairs", "Activation patching: example pairs")
        examples.add_text(
            "The first pairs of each model and setup (all are in patching_pairs.parquet)."
        )
        sample = pairs.groupby(["model", "s1", "t1", "s2", "t2"]).head(3)
        examples.add_table(
            sample[["model", "concept_a", "concept_b", "source_text", "target_text"]],
            "Source prompt (concept A) and target prompt (concept B)",
            max_rows=30,
        )


def write_patching_run(
    out: str | Path, result: PatchingResult, *, command: str | None = None
) -> Path:
    """Write tables, plots, ``report.html`` and ``manifest.json`` (last); return the report."""
    from babelscope.plotting.export import figure_to_png_bytes
    from babelscope.report.html import Report
    from babelscope.runs import RunFolder

    run = RunFolder(out, kind="patching")
    result.save(run)
    figures = patching_figures(result)
    for stem, fig in figures.items():
        run.write_bytes(f"plots/{stem}.png", figure_to_png_bytes(fig))
    manifest: dict[str, Any] = {
        "kind": "patching",
        "command": command,
        "models": result.models,
        "settings": result.settings,
        "summary": {"findings": result.findings()},
    }
    report = Report(
        "babelscope: activation patching across languages",
        subtitle=f"Models: {', '.join(result.models)}",
    )
    add_patching_sections(report, result, figures=figures)
    report.add_provenance(manifest)
    path = report.write(run.file("report.html"))
    run.finish(manifest)  # lists the run's files itself, report.html included
    return path
