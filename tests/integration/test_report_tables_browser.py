"""Tables that read, measured in headless Chromium: no cell wraps inside a word at 1400 px or
800 px (issue 20: ``translation`` printed as ``tran / slat / ion``, ``fra_Latn`` as
``fra_La / tn``), with a negative control proving the measurement catches exactly that."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from babelscope.report.browser import ChromiumNotFoundError, find_chromium, words_broken_in_tables
from babelscope.report.html import Report

try:
    find_chromium()
    CHROMIUM = True
except ChromiumNotFoundError:
    CHROMIUM = False

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="no Chromium (apt-get install chromium)"),
]

REASON = (
    "no candidate is latent: the lower 95% bound of English stays below 0.05 in the latent "
    "window (layers 4 to 11), and copy peaks at 0.31 at layer 9 before the crossover at 12"
)


def _summary() -> pd.DataFrame:
    """The shape of the latent summary that issue 20 found unreadable (17 columns)."""
    rng = np.random.default_rng(0)
    rows = []
    for model in ("gemma-3-270m", "smollm2-135m"):
        for source, target in (("deu_Latn", "hin_Deva"), ("spa_Latn", "arb_Arab")):
            rows.append(
                {
                    "model": model,
                    "task": "translation",
                    "source": source,
                    "target": target,
                    "latent_languages": "eng_Latn, fra_Latn",
                    "dual_latent": bool(rng.integers(2)),
                    "reason": REASON,
                    "crossover_layer": float(rng.integers(8, 16)),
                    "n_layers": 18,
                    "copy_peak": float(rng.random()),
                    "peak_shared": 1.39e-05,
                    "accuracy": 0.7196,
                    "n_prompts": 40,
                    "n_dropped_collision": 3,
                    "n_dropped_empty": 0,
                    "n_shots_changed": 2,
                    "n_dropped_shots": 1,
                }
            )
    return pd.DataFrame(rows)


def _report(path: Path, extra_css: str = "") -> Path:
    report = Report("tables")
    report.add_section("summary", "Latent language: what we found").add_table(
        _summary(), "One row per model and pair."
    )
    markup = report.render().replace("</style>", f"{extra_css}</style>")
    path.write_text(markup, "utf-8")
    return path


def test_no_cell_wraps_inside_a_word(tmp_path: Path) -> None:
    broken = words_broken_in_tables(_report(tmp_path / "report.html"), (1400, 800))
    assert broken == {1400: [], 800: []}


def test_the_measurement_catches_words_broken_inside(tmp_path: Path) -> None:
    """Negative control: the old rule (``overflow-wrap: anywhere`` in a squeezed table)."""
    old = (
        "td, th { overflow-wrap: anywhere !important; min-width: 0 !important; "
        "white-space: normal !important; } table { table-layout: fixed; }"
    )
    broken = words_broken_in_tables(_report(tmp_path / "old.html", old), (800,))
    assert {"translation", "latent_languages"} <= set(broken[800]), broken
