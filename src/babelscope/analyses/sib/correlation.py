"""``correlate``: does a ranking metric predict SIB-200 accuracy across languages? What
``babelscope correlate`` computes, for finished results of both analyses::

    import babelscope as bs

    rank = bs.RankResult.load("babelscope-runs/rank-smollm2-135m")
    sib = bs.SibResult.load("babelscope-runs/sib-smollm2-135m")
    result = bs.correlate({"smollm2-135m": (rank, sib)})
    result.to_frame()            # every metric × protocol: Pearson, Spearman, intervals, p
    result.best("smollm2-135m")  # the strongest predictor of the in-language accuracy

The results are taken as objects with a per-language ``summary`` frame (a
:class:`~babelscope.analyses.ranking.RankResult` and a :class:`SibResult`), so this module needs
nothing of the ranking package.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from babelscope.analyses.sib.correlate import DEFAULT_CONTROL

if TYPE_CHECKING:
    import pandas as pd


class HasSummary(Protocol):
    """A finished result with one row per language in ``summary``."""

    @property
    def summary(self) -> pd.DataFrame: ...


@dataclass
class CorrelateResult:
    """``table``: one row per model × metric × SIB protocol (``correlations.parquet``);
    ``joined``: per model, the ranking and SIB columns side by side per shared language."""

    table: pd.DataFrame
    joined: dict[str, pd.DataFrame] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def best(self, model: str, task: str | None = None) -> str | None:
        """The metric with the largest |Spearman| for ``task`` (default: the run's), one line."""
        task = task or str(self.settings.get("task", "in_language"))
        table: Any = self.table
        part = table[(table["model"] == model) & (table["task"] == task)]
        part = part.dropna(subset=["spearman"])
        if part.empty:
            return None
        row = part.loc[part["spearman"].abs().idxmax()]
        partial = ""
        if row.get("control") and not math.isnan(row["partial_spearman"]):
            partial = (
                f"; given {row['control']} {row['partial_spearman']:.2f} "
                f"[{row['partial_spearman_lo']:.2f}, {row['partial_spearman_hi']:.2f}]"
            )
        return (
            f"{row['metric']} (Spearman {row['spearman']:.2f} "
            f"[{row['spearman_lo']:.2f}, {row['spearman_hi']:.2f}]{partial}, n={int(row['n'])})"
        )

    def summary(self) -> dict[str, str]:
        """Per model, its best predictor of the run's task (the manifest's summary)."""
        task = str(self.settings.get("task", "in_language"))
        lines = {}
        for model in self.joined:
            best = self.best(model)
            if best is not None:
                lines[f"{model}: best predictor of {task}"] = best
        return lines


def correlate(
    runs: Mapping[str, tuple[HasSummary, HasSummary]],
    *,
    task: str = "in_language",
    control: str | None = DEFAULT_CONTROL,
    bootstrap: int = 1000,
    seed: int = 0,
) -> CorrelateResult:
    """Correlate every per-language ranking metric with every SIB-200 accuracy, per model.

    Args:
        runs: model name -> (rank result, sib result) of that model.
        task: the SIB protocol the report draws and orders by (must be in every SIB summary).
        control: a text-side column of the ranking partialled out of each Spearman
            (None: no partial correlation).
        bootstrap: replicates for the 95 % intervals over languages; ``seed`` their seed.
    """
    import pandas as pd

    from babelscope.analyses.sib.correlate import correlate as correlate_summaries
    from babelscope.analyses.sib.correlate import joined_frame, metric_columns
    from babelscope.errors import ConfigError

    if bootstrap < 1:
        raise ConfigError(f"--bootstrap {bootstrap}", fix="use 1 or more (1000)")
    if not runs:
        raise ConfigError("no model has both a rank and a sib run", fix="pass one of each")
    tables, joined = [], {}
    for model, (ranked, scored) in runs.items():
        if task not in scored.summary.columns:
            raise ConfigError(
                f"--task {task!r} is not in the sib run of {model}", fix="use in_language"
            )
        if control is not None and control not in metric_columns(ranked.summary):
            raise ConfigError(
                f"--control {control!r} is not a numeric metric column of the rank run of "
                f"{model} (rank_summary.parquet)",
                fix="use token_premium, another text-side column, or none",
            )
        tables.append(
            correlate_summaries(
                ranked.summary, scored.summary, model=model, bootstrap=bootstrap, seed=seed,
                control=control,
            )
        )  # fmt: skip
        joined[model] = joined_frame(ranked.summary, scored.summary)
    settings = {"task": task, "bootstrap": bootstrap, "seed": seed, "control": control}
    return CorrelateResult(pd.concat(tables, ignore_index=True), joined, settings)
