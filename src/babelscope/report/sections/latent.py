"""The latent-language sections of a report, built from a :class:`LatentResult`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from babelscope.analyses.latent.generation import GenerationView
    from babelscope.analyses.latent.result import LatentResult
    from babelscope.report.html import Report

METHOD = (
    'Method (Wendler et al. 2024): k-shot prompts such as `Français: "fleur" - 中文: "花"`; '
    "the logit lens (the model's own final norm and unembedding, recomputed per layer) decodes "
    "the residual stream after every block at the last prompt position. P(language) at a layer "
    "is the summed probability of the vocabulary tokens that are prefixes of the expected word "
    "in that language. Prompts whose target tokens overlap another measured language's are "
    "dropped (counts below). Curves show means over prompts with 95% intervals. The latent "
    "window is layers L/4 … L-1; a language is called latent there when its peak mean mass is "
    "at least 0.05 and at least half the strongest one's; two such languages = dual latent."
)


def latent_figures(result: LatentResult) -> dict[str, Figure]:
    """Every latent-language figure, keyed by a file-name stem."""
    figures: dict[str, Figure] = {}
    if not result.role_frame().empty:
        figures["latent_overview"] = result.plot("overview")
    figures["latent_entropy"] = result.plot("entropy")
    seen = []
    for run in result.runs:
        key = (run.task, run.source, run.target)
        if key not in seen:
            seen.append(key)
            stem = f"latent_{run.task}_{run.source}_{run.target}"
            figures[stem] = result.plot("pair", task=run.task, source=run.source, target=run.target)
    return figures


def add_latent_sections(
    report: Report,
    result: LatentResult,
    *,
    figures: dict[str, Figure] | None = None,
    views: Sequence[GenerationView] = (),
    prefix: str = "latent",
    label: str | None = None,
) -> None:
    """Append the latent-language sections, with ids ``<prefix>-summary``, ``-overview``,
    ``-pairs``, ``-generation`` and ``-prompts``. Several results can go into one report:
    give each a distinct ``prefix`` and a ``label`` (appended to the section titles)."""
    figs = figures if figures is not None else latent_figures(result)
    suffix = f" ({label})" if label else ""
    summary = result.summary_frame()
    section = report.add_section(f"{prefix}-summary", f"Latent language: what we found{suffix}")
    for sentence in result.findings():
        section.add_text(sentence)
    section.add_text(METHOD)
    cols = section.add_side_by_side(list(dict.fromkeys(summary.model)))
    for column, model in zip(cols, dict.fromkeys(summary.model), strict=True):
        sub = summary[summary.model == model]
        column.add_metrics(
            {
                "final accuracy": f"{sub.accuracy.mean():.0%}",
                "runs with dual latent": f"{int(sub.dual_latent.sum())} / {len(sub)}",
                "prompts measured": int(sub.n_prompts.sum()),
            },
            primary="final accuracy",
        )
    table = summary[
        [
            "model",
            "task",
            "source",
            "target",
            "latent_languages",
            "dual_latent",
            "crossover_layer",
            "n_layers",
            "accuracy",
            "n_prompts",
            "n_dropped_collision",
            "n_dropped_empty",
        ]
    ]
    section.add_table(
        table,
        "One row per model and pair: latent language(s) in the latent "
        "window, the layer from which the target stays ahead, final accuracy "
        "and prompt counts.",
        max_rows=200,
    )

    overview = report.add_section(f"{prefix}-overview", f"Latent language: layer by layer{suffix}")
    if "latent_overview" in figs:
        overview.add_figure(
            figs["latent_overview"],
            "Translation into non-English targets, "
            "pooled over pairs: lens probability of the answer in the target "
            "language, in English and in the source language.",
        )
    overview.add_figure(
        figs["latent_entropy"], "Entropy of the lens distribution (bits), averaged over runs."
    )

    pairs = report.add_section(f"{prefix}-pairs", f"Latent language: each pair{suffix}")
    for stem, fig in figs.items():
        if stem.startswith(("latent_translation", "latent_repetition", "latent_cloze")):
            pairs.add_figure(fig, stem.removeprefix("latent_").replace("_", " "))

    if views:
        gen = report.add_section(f"{prefix}-generation", f"Generation view{suffix}")
        gen.add_text(
            "For a free prompt, greedy generation; each cell is one generated token "
            "(column) at one layer (row), coloured by the language that receives the "
            "most lens probability (soft attribution from word frequencies and "
            "script), opacity = that probability."
        )
        for view in views:
            shown = repr(view.prompt) if view.prompt else "(not stored in this run)"
            gen.add_text(f"{view.model} — prompt: {shown}")
            gen.add_figure(view.plot(), f"{view.model}: generated {''.join(view.tokens)!r}")

    prompts = result.prompts_frame()
    ex = report.add_section(f"{prefix}-prompts", f"Latent language: example prompts{suffix}")
    ex.add_text(
        "The first prompts of each pair with their status for each model (prompts "
        "are saved in full in prompts.parquet)."
    )
    sample = prompts.groupby(["model", "task", "source", "target"]).head(2)
    ex.add_table(
        sample[["model", "task", "source", "target", "concept", "text", "status", "correct"]],
        "Example prompts",
        max_rows=60,
    )
