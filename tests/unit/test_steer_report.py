"""The steering report section: the report-half table with intervals, the chosen settings,
example generations escaped (a model can write HTML)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from babelscope.analyses.steering.cells import COLUMNS
from babelscope.analyses.steering.result import SteerResult
from babelscope.analyses.steering.sweep import choose, summarize_rows
from babelscope.report.html import Report
from babelscope.report.sections.steering import add_steer_sections, report_frame

EVIL = "<script>alert(1)</script> & <b>"


def _result() -> SteerResult:
    rows = []
    settings = [
        ("none", -1, 0.0),
        ("prompting", -1, 0.0),
        ("diffmean", 3, 4.0),
        ("diffmean", 5, 8.0),
    ]
    for split, ids in (("choose", range(4)), ("report", range(10, 14))):
        for method, layer, alpha in settings:
            if split == "report" and (layer, alpha) == (5, 8.0):
                continue
            for pid in ids:
                good = method == "diffmean" and layer == 3
                rows.append(
                    dict.fromkeys(COLUMNS, np.nan)
                    | {
                        "target": "fra_Latn", "split": split, "method": method, "layer": layer,
                        "alpha": alpha, "prompt_id": pid, "prompt": "Sentence: Hi.\nRepeat:",
                        "output": EVIL if good else "Hi.", "lid_label": "fr" if good else "en",
                        "lid_score": 0.9, "lingua_label": "FRENCH", "lfs": float(good),
                        "lingua_lfs": float(good), "chrf": 50.0 + pid, "chrf_source": 10.0,
                        "bits_per_char": 2.0, "reference_bits_per_char": 2.0, "fluency": 1.0,
                    }
                )  # fmt: skip
    generations = pd.DataFrame(rows, columns=COLUMNS)
    summary = summarize_rows(generations, replicates=100, seed=0)
    return SteerResult(
        model={"name": "tiny"},
        generations=generations,
        summary=summary,
        chosen=choose(summary),
        prompts={},
        settings={},
        notes={"fra_Latn": ""},
    )


def test_chosen_setting_and_report_table() -> None:
    result = _result()
    assert result.chosen[["method", "layer", "alpha"]].values.tolist() == [["diffmean", 3, 4.0]]
    table = report_frame(result, "fra_Latn").set_index("method")
    assert table.loc["diffmean", "LFS"] == "1.00 [1.00, 1.00]"
    assert table.loc["none", "LFS"] == "0.00 [0.00, 0.00]"
    assert table.loc["diffmean", "layer"] == 3 and table.loc["none", "layer"] == ""
    chrf = table.loc["diffmean", "chrF++"]  # mean of 60..63 with a bootstrap interval
    assert chrf.startswith("61.5 [") and chrf != "61.5 [61.5, 61.5]"
    frame = result.pareto_frame("fra_Latn")
    assert frame["chosen"].sum() == 1 and len(frame) == 4


def test_section_html_escapes_generations() -> None:
    report = Report("steer")
    add_steer_sections(report, _result())
    html = report.render()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;" in html
    assert 'id="steer-tiny-fra_Latn"' in html and "data:image/png;base64," in html
