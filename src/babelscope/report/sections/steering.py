"""The "steering" sections of a report, built from a :class:`SteerResult`.

``add_steer_sections(report, result)`` appends an overview (the protocol in words, the report
half's headline per target and method) and one section per target language: the Pareto plot
of every choose-half setting, the table of the report half (baselines and each method's chosen
setting, 95% bootstrap intervals over prompts) and a few example generations. Generated text
goes only through the report's escaped tables: a model can write ``<script>``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from babelscope.runs import slug

if TYPE_CHECKING:
    from babelscope.analyses.steering.result import SteerResult
    from babelscope.report.html import Report

_METRICS = {
    "lfs": "LFS",
    "chrf": "chrF++",
    "chrf_source": "chrF++ vs English",
    "fluency": "fluency",
    "headline": "headline",
}
_PROTOCOL = (
    "Each prompt asks the model to repeat an English FLORES sentence (one demonstration line "
    "pair, then `Sentence: … / Repeat:`); steering should make it write the sentence in the "
    "target language. **LFS** is the share of outputs that fastText's lid.176 labels as the "
    "target (CJK decided by script first); **chrF++** compares the output with the target's "
    "FLORES reference (and, for information, with the English source); **fluency** maps the "
    "unsteered model's bits per character of the output, scored alone, to `min(r, 1/r)` of its "
    "ratio to the model's bits per character on real FLORES text in the output's language "
    "(English when the output is English, else the target; 1 = as predictable as real text; "
    "loops and garble both score lower). The **headline** is the "
    "harmonic mean of LFS, chrF++/100 and fluency (CLaS-Bench's score, with chrF++ in place of "
    "its LLM-judged relevance, plus fluency). Every layer × α of every method and both baselines "
    "(no steering; the prompt naming the language) run on the *choose* prompts; each method's "
    "best setting by headline is then run on the held-out *report* prompts, which give the "
    "numbers below (95% bootstrap intervals over prompts)."
)


def steer_figures(result: SteerResult) -> dict[str, bytes]:
    """PNG bytes of each target's Pareto plot, keyed by target code."""
    from babelscope.plotting.export import figure_to_png_bytes

    return {target: figure_to_png_bytes(result.plot(target)) for target in result.targets}


def _interval(value: Any, lo: Any, hi: Any, scale: float = 1.0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    digits = 1 if scale > 1 else 2
    return f"{value:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def report_frame(result: SteerResult, target: str) -> pd.DataFrame:
    """The report half of ``target``: one row per method, each metric as ``mean [lo, hi]``."""
    table = result.report_table()
    rows = []
    for row in table[table["target"] == target].to_dict("records"):
        shown: dict[str, Any] = {
            "method": row["method"],
            "layer": "" if row["layer"] < 0 else int(row["layer"]),
            "α": "" if row["method"] in ("none", "prompting") else float(row["alpha"]),
            "prompts": int(row["n"]),
        }
        for key, label in _METRICS.items():
            scale = 100.0 if key.startswith("chrf") else 1.0
            shown[label] = _interval(row[key], row[f"{key}_lo"], row[f"{key}_hi"], scale)
        rows.append(shown)
    return pd.DataFrame(rows)


def examples_frame(result: SteerResult, target: str, per_method: int = 3) -> pd.DataFrame:
    """The first ``per_method`` report-half generations of each method for ``target``."""
    rows = result.generations
    rows = rows[(rows["target"] == target) & (rows["split"] == "report")]
    rows = (
        rows.sort_values(["method", "prompt_id"], kind="stable").groupby("method").head(per_method)
    )
    english = rows["prompt"].map(lambda p: str(p).rsplit("Sentence: ", 1)[-1].split("\n", 1)[0])
    return pd.DataFrame(
        {
            "method": rows["method"],
            "prompt id": rows["prompt_id"],
            "English sentence": english,
            "output": rows["output"],
            "LID": rows["lid_label"],
            "chrF++": rows["chrf"],
        }
    ).reset_index(drop=True)


def add_steer_sections(
    report: Report,
    result: SteerResult,
    *,
    prefix: str | None = None,
    figures: dict[str, bytes] | None = None,
    label: str | None = None,
) -> None:
    """Append the overview and one section per target (see the module docstring)."""
    drawn = figures if figures is not None else steer_figures(result)
    key = prefix or f"steer-{slug(result.model_name)}"
    model = label or result.model_name
    overview = report.add_section(key, f"Steering into other languages: {model}")
    overview.add_text(_PROTOCOL)
    best = {}
    for row in result.report_table().to_dict("records"):
        if row["method"] not in ("none", "prompting") and not math.isnan(row["headline"]):
            name = f"{row['target']} {row['method']}"
            best[name] = f"{row['headline']:.2f}"
    if best:
        overview.add_metrics(best)
    notes = {t: n for t, n in result.notes.items() if n}
    if notes:
        overview.add_table(
            pd.DataFrame({"target": list(notes), "language-ID note": list(notes.values())}),
            "Targets whose LFS is undefined (n/a) or approximate.",
            max_rows=None,
        )
    for target in result.targets:
        section = report.add_section(f"{key}-{slug(target)}", f"Steering into {target}: {model}")
        if target in drawn:
            section.add_figure(
                drawn[target],
                "Every setting on the choose prompts: LFS against chrF++; each method's chosen "
                "setting ringed, the baselines marked, the Pareto front dashed.",
            )
        section.add_table(
            report_frame(result, target),
            "Report prompts (held out from the choice): mean [95% interval].",
            max_rows=None,
        )
        section.add_table(
            examples_frame(result, target),
            "Example generations on the report prompts.",
            max_rows=None,
            float_format="{:.1f}",
        )
