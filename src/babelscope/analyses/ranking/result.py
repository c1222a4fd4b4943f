"""The typed result of a ranking run: tables, figures, save and load."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from babelscope.analyses.ranking.settings import METRICS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from babelscope.runs import RunFolder

#: Table attribute -> Parquet file in the run folder.
TABLES = {
    "summary": "rank_summary.parquet",
    "layer_metrics": "rank_layers.parquet",
    "identity": "rank_identity.parquet",
    "script": "rank_script.parquet",
    "text": "rank_text.parquet",
    "spearman": "rank_spearman.parquet",
}
META = "rank.json"


@dataclass
class RankResult:
    """Languages ranked by how well one model represents them.

    - ``summary``: one row per language (pivot excluded), best first — ``overall_rank`` and
      its bootstrap interval ``rank_lo``/``rank_hi``, ``score`` (mean percentile over the
      composite metrics, 1 = first everywhere) with ``score_lo``/``score_hi``, ``mean_rank``,
      per metric its mean over ``summary_layers`` with ``_lo``/``_hi`` (95 % bootstrap over
      sentences), ``_null`` (shuffled pairs) and ``_raw`` (un-normalised states),
      ``rank_<metric>``, text metrics.
    - ``layer_metrics``: tidy ``language, layer, metric, value, null, lo, hi`` for every layer
      (raw variants as metric ``<name>_raw``).
    - ``identity``: per layer, language-ID probe accuracy and translation retrieval.
    - ``script``: per non-Latin language and layer, native/romanised/pivot alignments.
    - ``text``: tokens per sentence, token premium, bits per byte/char/sentence (pivot too).
    - ``spearman``: ρ between every pair of summary metrics and text metrics.
    """

    model: dict[str, Any]
    settings: dict[str, Any]
    data: dict[str, Any]
    pivot: str
    layers: list[int]
    summary_layers: list[int]
    summary: pd.DataFrame
    layer_metrics: pd.DataFrame
    identity: pd.DataFrame
    script: pd.DataFrame
    text: pd.DataFrame
    spearman: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    primary_metric = "score"

    @property
    def model_name(self) -> str:
        return str(self.model.get("name", "model"))

    def to_frame(self) -> pd.DataFrame:
        """The ranking table (a copy)."""
        return self.summary.copy()

    def script_summary(self, metric: str = "mexa") -> pd.DataFrame:
        """Per non-Latin language: ``metric`` native↔pivot, romanised↔pivot and
        native↔romanised, averaged over the summary layers, and the romanisation gain."""
        frame = self.script[
            (self.script["metric"] == metric) & self.script["layer"].isin(self.summary_layers)
        ]
        if frame.empty:
            return pd.DataFrame(
                columns=["language", "script", "native-pivot", "roman-pivot", "native-roman"]
            )
        wide = frame.pivot_table(
            index=["language", "script"], columns="pair", values="value", aggfunc="mean"
        ).reset_index()
        wide.columns.name = None
        wide["gain"] = wide["roman-pivot"] - wide["native-pivot"]
        return wide.sort_values("gain", ascending=False, kind="stable").reset_index(drop=True)

    def headline(self) -> dict[str, object]:
        """A few numbers for report cards; ``primary`` is the top language's score."""
        out: dict[str, object] = {"languages ranked": len(self.summary)}
        if not self.summary.empty:
            out["best"] = str(self.summary.iloc[0]["language"])
            out["worst"] = str(self.summary.iloc[-1]["language"])
            out["median MEXA"] = float(self.summary["mexa"].median())
        if self.text["bits_per_byte"].notna().any():
            out["median bits/byte"] = float(self.text["bits_per_byte"].median())
        out["median token premium"] = float(self.text["token_premium"].median())
        return out

    def with_resource_levels(self, levels: Mapping[str, str | float]) -> RankResult:
        """A copy whose summary has a ``resource_level`` column (languages the mapping lacks
        stay empty) and whose Spearman table includes it when the levels are numeric. The
        ranking chart is then coloured by level instead of script."""
        from babelscope.analyses.ranking.summary import RESOURCE_LEVEL, agreement

        summary = self.summary.copy()
        column = summary["language"].map(dict(levels))
        numeric = all(isinstance(v, int | float) for v in levels.values())
        summary[RESOURCE_LEVEL] = column.astype(float) if numeric else column
        notes = [*self.notes, f"resource levels given for {int(column.notna().sum())} languages"]
        return replace(self, summary=summary, spearman=agreement(summary), notes=notes)

    def plot(self, kind: str = "ranking", **options: Any) -> Figure:
        """One figure: ``ranking`` (all languages by score, coloured by script), ``layers``
        (per-layer curves of chosen languages), ``heatmap`` (language × layer of a metric),
        ``identity`` (probe vs retrieval), ``script`` (script barrier), ``text``."""
        from babelscope.analyses.ranking import plots

        # The drawers take tables and plain values, not this class (plots sit below it).
        ranked = self.summary["language"].tolist()
        name = self.model_name
        drawers: dict[str, Callable[..., Figure]] = {
            "ranking": partial(plots.plot_rank_chart, self.summary, model=name),
            "layers": partial(
                plots.plot_layers, self.layer_metrics, ranked=ranked, pivot=self.pivot, model=name
            ),
            "heatmap": partial(
                plots.plot_metric_heatmap, self.layer_metrics, ranked=ranked, model=name
            ),
            "identity": partial(plots.plot_identity, self.identity, pivot=self.pivot),
            "script": partial(plots.plot_script, self.script),
            "text": partial(plots.plot_text, self.text, summary=self.summary, model=name),
        }
        if kind not in drawers:
            raise ValueError(f"unknown plot kind {kind!r}; use one of {', '.join(drawers)}")
        figure: Figure = drawers[kind](**options)
        return figure

    def meta(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "settings": self.settings,
            "data": self.data,
            "pivot": self.pivot,
            "layers": self.layers,
            "summary_layers": self.summary_layers,
            "metrics": list(METRICS),
            "notes": self.notes,
        }

    def save(self, folder: RunFolder | str | Path) -> Path:
        """Write every table as Parquet plus ``rank.json`` (deterministic bytes: no times);
        :meth:`load` reads them. Given a path, the folder is also finished as a ``rank`` run
        (manifest written last); a :class:`~babelscope.runs.RunFolder` is its owner's to
        finish."""
        from babelscope.runs import save_tables

        tables = {name: getattr(self, attr) for attr, name in TABLES.items()}
        return save_tables(
            folder, "rank", tables, meta_name=META, meta=self.meta(), manifest=self.manifest
        )

    def manifest(self) -> dict[str, Any]:
        """The run-manifest entries of this result (see :mod:`babelscope.runs`)."""
        return {
            "models": {self.model_name: self.model},
            "data": self.data,
            "settings": self.settings,
            "summary": self.headline(),
        }

    @classmethod
    def load(cls, path: str | Path) -> RankResult:
        """Read a run folder written by :meth:`save`."""
        from babelscope.runs import read_tables

        meta, tables = read_tables(
            path,
            TABLES,
            META,
            what="readable ranking result",
            fix="point at the --out folder of a finished `babelscope rank` run",
        )
        return cls(
            model=meta["model"],
            settings=meta["settings"],
            data=meta["data"],
            pivot=meta["pivot"],
            layers=[int(x) for x in meta["layers"]],
            summary_layers=[int(x) for x in meta["summary_layers"]],
            notes=list(meta.get("notes", [])),
            **tables,
        )
