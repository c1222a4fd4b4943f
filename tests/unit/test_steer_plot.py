"""The steering Pareto plot draws the table's values: every setting, the chosen ring, the
baselines, and the front."""

from __future__ import annotations

import numpy as np
import pandas as pd

from babelscope.plotting.steering import pareto_front, plot_pareto


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "method": ["none", "prompting", "diffmean", "diffmean", "lape", "lape"],
            "lfs": [0.0, 0.5, 0.9, 0.6, 0.3, np.nan],
            "chrf": [10.0, 40.0, 30.0, 20.0, 45.0, 50.0],
            "chosen": [False, False, True, False, True, False],
        }
    )


def test_pareto_front_keeps_only_non_dominated_points() -> None:
    x = np.array([0.0, 0.5, 0.9, 0.6, 0.3, np.nan])
    y = np.array([10.0, 40.0, 30.0, 20.0, 45.0, 50.0])
    assert pareto_front(x, y).tolist() == [4, 1, 2]  # sorted by x; NaN never on it


def test_plot_draws_each_group_and_the_chosen_ring() -> None:
    figure = plot_pareto(_frame(), title="t")
    ax = figure.axes[0]
    drawn = {
        c.get_label(): np.asarray(c.get_offsets()).tolist() for c in ax.collections if c.get_label()
    }
    assert drawn["diffmean"] == [[0.9, 30.0], [0.6, 20.0]]
    assert drawn["lape"] == [[0.3, 45.0]]  # the NaN-LFS row is left out
    assert drawn["none"] == [[0.0, 10.0]] and drawn["prompting"] == [[0.5, 40.0]]
    assert drawn["chosen (best headline, choose half)"] == [[0.9, 30.0], [0.3, 45.0]]
    front = ax.lines[0]
    assert front.get_xdata().tolist() == [0.3, 0.5, 0.9]
    assert front.get_ydata().tolist() == [45.0, 40.0, 30.0]
    assert {t.get_text() for t in ax.texts} == {"none", "prompting"}
