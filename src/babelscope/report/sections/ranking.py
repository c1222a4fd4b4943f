"""The "language ranking" sections of a report, built from a :class:`RankResult`.

``add_rank_sections(report, result)`` appends an overview (written summary, headline cards,
ranked chart of every language coloured by script, the ranking table), per-layer pictures
(curves of chosen languages, a language × layer heatmap), identity versus meaning, the script
barrier, text-side metrics and metric agreement. Several results (one per model) can go into the
same report: pass a distinct ``prefix`` for each, then ``add_rank_comparison(report, results)``
compares the rankings pair by pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from babelscope.analyses.ranking.settings import COMPOSITE_METRICS, METRIC_LABELS, METRICS
from babelscope.analyses.ranking.summary import normalization_note, written_summary
from babelscope.runs import slug

if TYPE_CHECKING:
    from babelscope.analyses.ranking.result import RankResult
    from babelscope.report.html import Report, Section

_TABLE_COLUMNS = [
    "overall_rank",
    "rank_lo",  # 95 % bootstrap interval of the rank (over sentences)
    "rank_hi",
    "language",
    "name",
    "score",
    *METRICS,
    "mexa_raw",  # MEXA of un-normalised states, where the run normalised them
    "retrieval",
    "token_premium",
    "bits_per_byte",
    "resource_level",  # only when the user gave --resource-levels
]


def rank_figures(result: RankResult) -> dict[str, bytes]:
    """Every figure of the ranking sections as PNG bytes, keyed by plot kind (``heatmap`` is
    MEXA's). Render once, then both save them and pass them to :func:`add_rank_sections`."""
    from babelscope.plotting.export import figure_to_png_bytes

    kinds = ["layers", "heatmap", "identity", "text"]
    if not result.summary.empty:
        kinds.insert(0, "ranking")
    if not result.script.empty:
        kinds.append("script")
    figures = {}
    for kind in kinds:
        options = {"metric": "mexa"} if kind == "heatmap" else {}
        figures[kind] = figure_to_png_bytes(result.plot(kind, **options))
    return figures


def add_rank_sections(
    report: Report,
    result: RankResult,
    *,
    prefix: str | None = None,
    figures: dict[str, bytes] | None = None,
    label: str | None = None,
) -> None:
    """Append the ranking sections for one model's result to ``report``.

    ``figures`` (from :func:`rank_figures`) avoids drawing the plots a second time; ``label``
    names the model in titles and text (default: its name; give two runs of one model
    distinct labels)."""
    drawn = figures if figures is not None else rank_figures(result)
    key = prefix or f"rank-{slug(result.model_name)}"
    model = label or result.model_name
    layers = result.summary_layers
    how = (
        f"Scores are averaged over layers {layers[0]}–{layers[-1]}"
        if layers == list(range(layers[0], layers[-1] + 1))
        else f"Scores are averaged over layers {', '.join(map(str, layers))}"
    )

    overview = report.add_section(key, f"Language ranking: {model}")
    overview.add_text(
        written_summary(
            result.summary,
            result.spearman,
            result.script,
            result.identity,
            model=model,
            pivot=result.pivot,
        )
    )
    overview.add_text(
        f"{how}; the overall score is the mean percentile over "
        f"{', '.join(METRIC_LABELS[m] for m in COMPOSITE_METRICS)} "
        "(1 = first on every one). Raw cosines are inflated by anisotropy and massive "
        "activations, so compare languages within this model, not values across models."
        + normalization_note(result.settings)
    )
    overview.add_metrics(result.headline(), primary="best" if len(result.summary) else None)
    if not result.summary.empty:
        overview.add_figure(
            drawn["ranking"],
            f"Every language by overall score against {result.pivot}, coloured by "
            + ("resource level." if "resource_level" in result.summary.columns else "script."),
        )
        shown = [c for c in _TABLE_COLUMNS if c in result.summary.columns]
        overview.add_table(
            result.summary[shown], "The ranking (best first).", max_rows=None, float_format="{:.3g}"
        )

    per_layer = report.add_section(f"{key}-layers", f"Per layer: {model}")
    per_layer.add_figure(
        drawn["layers"],
        "Per-layer scores of a spread of languages (best, worst and evenly spaced between).",
    )
    per_layer.add_figure(
        drawn["heatmap"],
        "MEXA alignment per language and layer (rows in ranking order).",
    )

    identity = report.add_section(f"{key}-identity", f"Identity versus meaning: {model}")
    identity.add_text(
        "Per layer, a logistic-regression language-ID probe on held-out sentences "
        "(language identity) next to translation retrieval against the pivot (meaning). "
        "Where the probe drops and retrieval rises, the model has moved from form to content."
    )
    identity.add_figure(drawn["identity"], "Language-ID probe accuracy and retrieval.")
    identity.add_table(result.identity, "Identity versus meaning per layer.", max_rows=None)

    if not result.script.empty:
        barrier = report.add_section(f"{key}-script", f"Script barrier: {model}")
        barrier.add_text(
            "The same sentences of every non-Latin-script language, native and romanised "
            f"({result.settings.get('romanizer', 'anyascii')}), compared with {result.pivot} "
            "and with each other. A positive gain means romanised text aligns better with the "
            "pivot than the native script."
        )
        barrier.add_figure(drawn["script"], "Mean MEXA alignment per layer (95% band).")
        barrier.add_table(
            result.script_summary(),
            "MEXA alignment averaged over the summary layers (largest gain first).",
            max_rows=None,
            float_format="{:.3g}",
        )

    text = report.add_section(f"{key}-text", f"Text-side metrics: {model}")
    text.add_text(
        "Tokens needed for the same parallel sentences (premium: relative to "
        f"{result.pivot}) and the model's own surprisal: bits per UTF-8 byte, per character "
        "and per sentence. Bits per sentence compare the same content across languages."
    )
    text.add_figure(drawn["text"], "Token premium per language (lowest first).")
    text.add_table(
        result.text.sort_values("token_premium"),
        "Text-side metrics per language.",
        max_rows=None,
        float_format="{:.3g}",
    )

    agree = report.add_section(f"{key}-agreement", f"Do the metrics agree? {model}")
    labelled = result.spearman.copy()
    for column in ("metric_a", "metric_b"):
        labelled[column] = labelled[column].map(lambda m: METRIC_LABELS.get(m, m))
    agree.add_table(
        labelled,
        "Spearman ρ between per-language summaries (text-side metrics included).",
        max_rows=None,
        float_format="{:.3g}",
    )


def add_rank_comparison(
    report: Report,
    results: Sequence[RankResult],
    *,
    labels: Sequence[str] | None = None,
    section_id: str = "rank-comparison",
    k: int = 10,
) -> Section:
    """Append one section comparing every pair of rankings (one result per model): Spearman ρ
    of the overall score and of MEXA over the languages both ranked, a scatter plot of the two
    scores coloured by script, and the ``k`` languages each model represents better than the
    other (largest difference in rank). ``labels`` name the results (default: model names)."""
    from babelscope.analyses.ranking.compare import (
        compare_rankings,
        largest_differences,
        ranking_agreement,
    )
    from babelscope.analyses.ranking.plots import plot_rank_comparison

    if len(results) < 2:
        raise ValueError("add_rank_comparison needs at least two rankings")
    names = list(labels) if labels is not None else _distinct([r.model_name for r in results])
    if len(names) != len(results):
        raise ValueError("add_rank_comparison: give one label per result")
    section = report.add_section(section_id, "Comparing the models' rankings")
    section.add_text(
        "Do the models rank the languages alike? For every pair of models, over the languages "
        "both ranked: Spearman ρ of the overall score and of MEXA alignment, the scores against "
        "each other (points above the diagonal: better represented by the second model; the "
        "languages furthest from it are labelled), and the languages whose rank differs most. "
        "Ranks are recomputed over the shared languages, 1 = best."
    )
    overview = []
    compared = []
    for i, first in enumerate(results):
        for j in range(i + 1, len(results)):
            pairs = compare_rankings(first, results[j])
            agreement = ranking_agreement(pairs).set_index("metric")
            compared.append((names[i], names[j], pairs, agreement))
            overview.append(
                {
                    "model A": names[i],
                    "model B": names[j],
                    "shared languages": len(pairs),
                    "ρ score": agreement.loc["score", "rho"],
                    "ρ MEXA": agreement.loc["mexa", "rho"],
                }
            )
    section.add_table(
        pd.DataFrame(overview),
        "Spearman ρ between the models' per-language summaries (NaN below 3 shared languages).",
        max_rows=None,
        float_format="{:.3g}",
    )
    shown = [
        *("language", "name", "script", "rank_a", "rank_b", "rank_difference"),
        *("score_a", "score_b"),
    ]
    for name_a, name_b, pairs, agreement in compared:
        section.add_text(f"# {name_a} vs {name_b}")
        if pairs.empty:
            section.add_text("The two runs ranked no language in common.")
            continue
        section.add_metrics(
            {
                "ρ score": _rho(agreement.loc["score", "rho"]),
                "ρ MEXA": _rho(agreement.loc["mexa", "rho"]),
                "shared languages": len(pairs),
            },
            primary="ρ score",
        )
        section.add_figure(
            plot_rank_comparison(pairs, name_a, name_b, annotate=k),
            f"Overall score per language: {name_a} (x) against {name_b} (y), coloured by script.",
        )
        better_a, better_b = largest_differences(pairs, k)
        renamed = {"rank_a": f"rank {name_a}", "rank_b": f"rank {name_b}"}
        renamed |= {"score_a": f"score {name_a}", "score_b": f"score {name_b}"}
        left, right = section.add_side_by_side(
            [f"Better represented by {name_a}", f"Better represented by {name_b}"]
        )
        for column, table, winner, loser in (
            (left, better_a, name_a, name_b),
            (right, better_b, name_b, name_a),
        ):
            if table.empty:
                column.add_text(f"No language ranks higher under {winner} than under {loser}.")
            else:
                column.add_table(
                    table[shown].rename(columns=renamed),
                    f"Largest rank differences: higher under {winner} than under {loser} "
                    "(rank_difference = rank B − rank A).",
                    max_rows=None,
                    float_format="{:.3g}",
                )
    return section


def _rho(value: Any) -> str:
    return "n/a" if pd.isna(value) else f"{float(value):.2f}"


def _distinct(names: Sequence[str]) -> list[str]:
    """The names, with ``#2``, ``#3`` … added to repeats (two runs of one model)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return out
