"""The typed result of a SIB-200 run: tables, summary, save/load, figures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from babelscope.analyses.sib.settings import CHANCE, LINEAR_PROTOCOLS, PROMPTED_PROTOCOLS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from babelscope.runs import RunFolder

TABLES = {
    "summary": "sib_summary.parquet",
    "layer_scores": "sib_layers.parquet",
    "prompted": "sib_prompted.parquet",
    "layer_choice": "sib_layer_choice.parquet",
}
META = "sib.json"
RESOURCE_LEVEL = "resource_level"


def summarise(
    per_layer: pd.DataFrame, prompted: pd.DataFrame, selected: int, model: str
) -> pd.DataFrame:
    """One row per language: per linear protocol the accuracy at the ``selected`` layer with
    its interval (``<p>``, ``<p>_lo``, ``<p>_hi``) and the best layer's (``<p>_best``,
    ``<p>_best_layer``; chosen on the evaluation split, so optimistic); the prompted
    accuracies; name and script. Sorted by in-language accuracy, best first."""
    from babelscope.analyses.ranking import language_info

    codes = list(dict.fromkeys(per_layer["language"]))
    table = language_info(codes).set_index("language")
    for protocol in LINEAR_PROTOCOLS:
        part = per_layer[per_layer["protocol"] == protocol]
        at = part[part["layer"] == selected].set_index("language")
        for column, source in (("", "accuracy"), ("_lo", "lo"), ("_hi", "hi")):
            table[f"{protocol}{column}"] = at[source]
        best = part.loc[part.groupby("language")["accuracy"].idxmax()].set_index("language")
        table[f"{protocol}_best"] = best["accuracy"]
        table[f"{protocol}_best_layer"] = best["layer"].astype(int)
    for protocol in PROMPTED_PROTOCOLS:
        part = prompted[prompted["protocol"] == protocol].set_index("language")
        for column, source in (("", "accuracy"), ("_lo", "lo"), ("_hi", "hi")):
            table[f"{protocol}{column}"] = part[source] if len(part) else float("nan")
    table["n_eval"] = per_layer.groupby("language")["n_eval"].max()
    table["selected_layer"] = selected
    table.insert(0, "model", model)
    out = table.reset_index().sort_values("in_language", ascending=False, kind="stable")
    return out.reset_index(drop=True)


@dataclass
class SibResult:
    """SIB-200 accuracy of one model per language, layer and protocol.

    - ``summary``: one row per language (see :func:`summarise`); ``in_language`` is the primary
      metric (MTEB protocol at ``selected_layer``).
    - ``layer_scores``: tidy ``model, language, layer, protocol, accuracy, lo, hi, n_eval,
      interval`` for the four linear protocols at every layer.
    - ``prompted``: ``language, protocol, accuracy, lo, hi, n_eval, prefix_tokens``.
    - ``layer_choice``: the pivot's cross-validated training accuracy per layer.
    """

    model: dict[str, Any]
    settings: dict[str, Any]
    data: dict[str, Any]
    pivot: str
    layers: list[int]
    selected_layer: int
    layer_scores: pd.DataFrame
    prompted: pd.DataFrame
    layer_choice: pd.DataFrame
    summary: pd.DataFrame

    primary_metric = "in_language"
    chance = CHANCE

    def __post_init__(self) -> None:
        for frame in (self.layer_scores, self.prompted):
            if "model" not in frame.columns:
                frame.insert(0, "model", self.model_name)

    @property
    def model_name(self) -> str:
        return str(self.model.get("name", "model"))

    def to_frame(self) -> pd.DataFrame:
        return self.summary.copy()

    def headline(self) -> dict[str, object]:
        table = self.summary
        out: dict[str, object] = {"languages": len(table), "selected layer": self.selected_layer}
        for protocol in ("in_language", "cross_lingual", "prompted", "prompted_calibrated"):
            if protocol in table.columns and table[protocol].notna().any():
                out[f"median {protocol}"] = float(table[protocol].median())
        out["chance"] = CHANCE
        return out

    def with_resource_levels(self, levels: Mapping[str, str | float]) -> SibResult:
        summary = self.summary.copy()
        column = summary["language"].map(dict(levels))
        numeric = all(isinstance(v, int | float) for v in levels.values())
        summary[RESOURCE_LEVEL] = column.astype(float) if numeric else column
        return replace(self, summary=summary)

    def plot(self, kind: str = "languages", **options: Any) -> Figure:
        """``languages`` (accuracy per language, coloured by script or resource level, chance
        line; ``protocol=`` any summary protocol) or ``layers`` (per-layer curves)."""
        from babelscope.analyses.sib import plots

        # The drawers take tables and plain values, not this class (plots sit below it).
        name, layer = self.model_name, self.selected_layer
        if kind == "languages":
            return plots.plot_languages(self.summary, model=name, selected_layer=layer, **options)
        if kind == "layers":
            return plots.plot_layers(
                self.layer_scores,
                self.layer_choice,
                model=name,
                pivot=self.pivot,
                selected_layer=layer,
                **options,
            )
        raise ValueError(f"unknown plot kind {kind!r}; use languages or layers")

    def meta(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "settings": self.settings,
            "data": self.data,
            "pivot": self.pivot,
            "layers": self.layers,
            "selected_layer": self.selected_layer,
        }

    def save(self, folder: RunFolder | str | Path) -> Path:
        from babelscope.runs import save_tables

        tables = {name: getattr(self, attr) for attr, name in TABLES.items()}
        return save_tables(
            folder, "sib", tables, meta_name=META, meta=self.meta(), manifest=self.manifest
        )

    def manifest(self) -> dict[str, Any]:
        return {
            "models": {self.model_name: self.model},
            "data": self.data,
            "settings": self.settings,
            "summary": self.headline(),
        }

    @classmethod
    def load(cls, path: str | Path) -> SibResult:
        from babelscope.runs import read_tables

        meta, tables = read_tables(
            path,
            TABLES,
            META,
            what="readable SIB-200 result",
            fix="point at the --out folder of a finished `babelscope sib` run",
        )
        return cls(
            model=meta["model"],
            settings=meta["settings"],
            data=meta["data"],
            pivot=meta["pivot"],
            layers=[int(x) for x in meta["layers"]],
            selected_layer=int(meta["selected_layer"]),
            **tables,
        )
