"""The steering sweep's result: every generation, the per-setting summary, the chosen settings.

Saved as ``steer_generations.parquet`` (one row per generation: anyone can re-score it),
``steer_summary.parquet`` (one row per target × split × method × layer × α with 95% bootstrap
intervals over prompts), ``steer_chosen.parquet`` and ``steer.json`` (model, prompts, settings,
language-ID notes). :meth:`SteerResult.load` reads the same files back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from babelscope.runs import RunFolder

META_JSON = "steer.json"
_TABLES = ("generations", "summary", "chosen")


@dataclass
class SteerResult:
    """``generations``: one row per generation (``cells.COLUMNS``); ``summary``: one row per
    setting and split with ``metric``, ``metric_lo``, ``metric_hi`` (lfs, chrf, chrf_source,
    fluency, headline); ``chosen``: the best choose-half setting per target and method;
    ``notes``: per target, why LFS may be undefined or approximate."""

    model: dict[str, Any]
    generations: pd.DataFrame
    summary: pd.DataFrame
    chosen: pd.DataFrame
    prompts: dict[str, Any]
    settings: dict[str, Any]
    notes: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] | None = None

    @property
    def model_name(self) -> str:
        return str(self.model.get("name", "model"))

    @property
    def targets(self) -> list[str]:
        return [str(t) for t in pd.unique(self.summary["target"])] if len(self.summary) else []

    def to_frame(self) -> pd.DataFrame:
        """The per-setting summary (tidy: one row per target, split, method, layer, α)."""
        return self.summary.copy()

    def report_table(self) -> pd.DataFrame:
        """The report-half rows: baselines and each method's chosen setting."""
        return self.summary[self.summary["split"] == "report"].reset_index(drop=True)

    def headline(self) -> dict[str, Any]:
        """Key numbers for the manifest: per target and method, the report-half headline,
        LFS and chrF++ (NaN → null in the manifest)."""
        out: dict[str, Any] = {}
        for row in self.report_table().to_dict("records"):
            out[f"{row['target']}/{row['method']}"] = {
                "layer": int(row["layer"]),
                "alpha": float(row["alpha"]),
                **{key: _num(row[key]) for key in ("headline", "lfs", "chrf", "fluency")},
            }
        return out

    def pareto_frame(self, target: str) -> pd.DataFrame:
        """The choose-half settings of ``target`` with a boolean ``chosen`` column."""
        summary = self.summary
        part = summary[(summary["target"] == target) & (summary["split"] == "choose")].copy()
        mine = self.chosen[self.chosen["target"] == target]
        keys = set(zip(mine["method"], mine["layer"], mine["alpha"], strict=True))
        part["chosen"] = [
            key in keys for key in zip(part["method"], part["layer"], part["alpha"], strict=True)
        ]
        return part.reset_index(drop=True)

    def plot(self, target: str) -> Figure:
        """The Pareto plot of ``target``: LFS vs chrF++ of every choose-half setting, the
        chosen setting of each method ringed, the baselines marked."""
        from babelscope.plotting.steering import plot_pareto

        figure: Figure = plot_pareto(
            self.pareto_frame(target),
            title=f"{self.model_name}: steering into {target} (choose half)",
        )
        return figure

    # ---- persistence -------------------------------------------------------------------
    def save(self, out: RunFolder | str | Path) -> Path:
        """Write the tables and ``steer.json`` into ``out``; a plain path becomes a finished
        run folder of kind ``steer`` (a :class:`RunFolder` is finished by its caller)."""
        from babelscope.runs import save_tables

        tables = {f"steer_{name}": getattr(self, name) for name in _TABLES}
        meta = {
            "model": self.model,
            "prompts": self.prompts,
            "settings": self.settings,
            "notes": self.notes,
            "data": self.data,
        }
        return save_tables(
            out, "steer", tables, meta_name=META_JSON, meta=meta, manifest=self.manifest
        )

    def manifest(self) -> dict[str, Any]:
        return {
            "kind": "steer",
            "models": {self.model_name: self.model},
            "data": self.data,
            "settings": {**self.settings, "prompts": self.prompts},
            "summary": self.headline(),
        }

    @classmethod
    def load(cls, path: str | Path) -> SteerResult:
        from babelscope.runs import read_tables

        meta, tables = read_tables(
            path,
            {n: f"steer_{n}.parquet" for n in _TABLES},
            META_JSON,
            what="steering result",
            fix="point at the --out folder of babelscope steer",
        )
        return cls(
            model=meta["model"],
            prompts=meta["prompts"],
            settings=meta["settings"],
            notes=meta.get("notes", {}),
            data=meta.get("data"),
            **tables,
        )


def _num(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None
