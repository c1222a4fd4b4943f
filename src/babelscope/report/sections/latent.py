"""The latent-language sections of a report, built from a :class:`LatentResult`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from babelscope.analyses.latent.stats import SHARED_WARN

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from babelscope.analyses.latent.generation import GenerationView
    from babelscope.analyses.latent.result import LatentResult
    from babelscope.report.html import Report

METHOD = (
    'Method (Wendler et al. 2024): k-shot prompts such as `Français: "fleur" - 中文: "花"`, '
    "whose shots never start with the answer's first token; the logit lens (the model's own "
    "final norm and unembedding, recomputed per layer) decodes the residual stream after every "
    "block at the last prompt position. P(language) at a layer is the summed probability of "
    "the vocabulary tokens that are prefixes of the expected word in that language; tokens two "
    "measured languages share are counted once, in a 'shared' bucket, so the curves plus "
    "shared plus other sum to 1. Roles: target; copy = the source language, whose word is in "
    "the prompt; English and other candidates only where absent from the prompt. Curves show "
    "means over prompts with 95% intervals; across pairs, the mean of pair means with a "
    "t-interval over pairs. The latent window runs from L/4 to the layer before the crossover "
    "(where the target takes the lead); a candidate is latent when the lower 95% bound of its "
    "mean reaches 0.05 there (the reason column says why each call was or was not made). "
    "Accuracy is strict: the final top-1 token is the first token of the target word."
)


def latent_figures(result: LatentResult) -> dict[str, Figure]:
    """Every latent-language figure, keyed by a file-name stem."""
    figures: dict[str, Figure] = {}
    roles = result.role_frame()
    if not roles.empty:
        figures["latent_overview"] = result.plot("overview")
        if (roles.subset == "correct").any():
            figures["latent_overview_correct"] = result.plot("overview", subset="correct")
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
                "final accuracy": (
                    f"{sub.accuracy.mean():.0%}" if sub.accuracy.notna().any() else "— (no prompt)"
                ),
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
            "reason",
            "crossover_layer",
            "n_layers",
            "copy_peak",
            "peak_shared",
            "accuracy",
            "n_prompts",
            "n_dropped_collision",
            "n_dropped_empty",
            "n_shots_changed",
            "n_dropped_shots",
        ]
    ]
    section.add_table(
        table,
        "One row per model and pair: latent language(s) in the latent window and why, the "
        "layer from which the target stays ahead, the copy signal's and the shared bucket's "
        "peak mean mass, strict accuracy and prompt counts.",
        max_rows=200,
    )

    overview = report.add_section(f"{prefix}-overview", f"Latent language: layer by layer{suffix}")
    if "latent_overview" in figs:
        overview.add_figure(
            figs["latent_overview"],
            "Translation into non-English targets, mean of pair means (t-interval over "
            "pairs): lens probability of the answer in the target language, in English (pairs "
            "where English is not in the prompt), in the source language (copy) and on tokens "
            "shared by two measured languages.",
        )
        large = summary[summary.shared_large]
        if len(large):
            overview.add_text(
                f"Caution: in {len(large)} of {len(summary)} runs the shared bucket reaches a "
                f"mean of ≥ {SHARED_WARN} (largest {large.peak_shared.max():.2f}): there the "
                "measured languages' words start with the same tokens and their curves cannot "
                "be told apart; see peak_shared in the table."
            )
    if "latent_overview_correct" in figs:
        overview.add_figure(
            figs["latent_overview_correct"], "The same, over correctly answered prompts only."
        )
    overview.add_figure(
        figs["latent_entropy"], "Entropy of the lens distribution (bits), averaged over runs."
    )

    pairs = report.add_section(f"{prefix}-pairs", f"Latent language: each pair{suffix}")
    captions = {  # from the runs, not the file stem: codes keep their underscores
        f"latent_{r.task}_{r.source}_{r.target}": f"{r.task}: `{r.source}` → `{r.target}`"
        for r in result.runs
    }
    for stem, fig in figs.items():
        if stem.startswith(("latent_translation", "latent_repetition", "latent_cloze")):
            pairs.add_figure(fig, captions.get(stem, stem.removeprefix("latent_")))

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
