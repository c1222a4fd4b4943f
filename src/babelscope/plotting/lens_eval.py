"""Logit lens vs tuned lens: KL to the final distribution per layer (tidy frame in, Figure out).

Leaf module: imports nothing of babelscope outside :mod:`babelscope.plotting` (its colours
come from :mod:`babelscope.plotting.colors`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from babelscope.plotting.colors import LENS_COLORS

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


def plot_lens_eval(frame: pd.DataFrame, *, title: str = "") -> Figure:
    """Two panels over layers: KL(final ‖ lens) in bits and top-1 agreement with the final
    layer; a line per lens = the median over languages, the band = its 10th–90th percentile.

    ``frame`` has columns ``language, lens, layer, kl_bits, top1_agreement``."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 3.6), layout="constrained")
    axes = figure.subplots(1, 2)
    for lens, part in frame.groupby("lens", sort=False):
        colour = LENS_COLORS.get(str(lens))
        for ax, column in zip(axes, ("kl_bits", "top1_agreement"), strict=True):
            by_layer = part.groupby("layer")[column]
            low, mid, high = (by_layer.quantile(q) for q in (0.1, 0.5, 0.9))
            ax.plot(mid.index, mid, label=f"{lens} lens", color=colour)
            ax.fill_between(mid.index, low, high, alpha=0.2, color=colour)
    n = frame["language"].nunique()
    axes[0].set_ylabel("KL(final ‖ lens), bits")
    axes[0].set_yscale("symlog", linthresh=0.1)
    axes[1].set_ylabel("top-1 agreement with final layer")
    axes[1].set_ylim(0, 1.02)
    for ax in axes:
        ax.set_xlabel("layer")
        ax.grid(alpha=0.3)
    axes[0].legend(title=f"median over {n} languages (band: 10–90%)", fontsize=8)
    if title:
        figure.suptitle(title)
    return figure
