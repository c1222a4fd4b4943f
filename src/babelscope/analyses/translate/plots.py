"""Figures of a translation run (tidy score frame in, matplotlib Figure out)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def chrf_bars(scores: pd.DataFrame, direction: str, *, title: str = "") -> Figure:
    """chrF++ per language (sorted by the first prompting mode), one bar group per language,
    95% intervals as error bars, the copy baseline as a black tick."""
    from matplotlib.figure import Figure

    part = scores[scores["direction"] == direction]
    modes = list(dict.fromkeys(part["prompting"]))
    wide = part.pivot(index="language", columns="prompting", values="chrf_pp")
    order = wide.sort_values(modes[0], ascending=False).index if modes else wide.index
    figure = Figure(figsize=(max(4.0, 0.35 * len(order) * max(len(modes), 1)), 3.2))
    axes = figure.add_subplot()
    width = 0.8 / max(len(modes), 1)
    x = np.arange(len(order))
    for k, mode in enumerate(modes):
        rows = part[part["prompting"] == mode].set_index("language").reindex(order)
        err = np.abs(
            np.stack([rows["chrf_pp"] - rows["chrf_pp_lo"], rows["chrf_pp_hi"] - rows["chrf_pp"]])
        )
        axes.bar(x + k * width, rows["chrf_pp"], width, yerr=err, label=mode, capsize=2)
    base = part.groupby("language")["copy_baseline"].first().reindex(order)
    axes.scatter(x + 0.4 - width / 2, base, marker="_", color="black", s=120, label="copy baseline")
    axes.set_xticks(x + 0.4 - width / 2, list(order), rotation=90, fontsize=7)
    axes.set_ylabel("chrF++")
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=7)
    figure.tight_layout()
    return figure
