"""The result of a translation run: per-cell scores and every prompt and output.

Tables: ``translate_scores.parquet`` (one row per language × direction × prompting, every
column of :mod:`~babelscope.analyses.translate.scoring` with its interval) and
``translate_generations.parquet`` (one row per prompt: the prompt, the output and its controls;
``stage`` is ``translate`` for scored rows and ``backtranslate`` for LDP's English→X exemplar
making). ``translate.json`` holds the settings, the exemplar plan, the tags and sacrebleu's
signatures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from babelscope.analyses.translate.scoring import score_cell
from babelscope.chrf import NO_SPACE_LANGUAGES
from babelscope.runs import RunFolder

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from babelscope.analyses.translate.settings import TranslateSettings

KIND = "translate"
META = "translate.json"
TABLES = {
    "scores": "translate_scores.parquet",
    "generations": "translate_generations.parquet",
}
CELL = ["language", "direction", "prompting"]


def score_table(generations: pd.DataFrame, settings: TranslateSettings) -> pd.DataFrame:
    """One scored row per cell of the ``translate`` rows of ``generations`` (input order)."""
    rows = []
    scored = generations[generations["stage"] == "translate"]
    for (language, direction, prompting), cell in scored.groupby(CELL, sort=False):
        cell = cell.sort_values("sentence_id")
        numbers = score_cell(
            list(cell["output"]),
            list(cell["reference"]),
            list(cell["source"]),
            copy=list(cell["is_copy"]),
            off_target=list(cell["off_target"]),
            empty=list(cell["empty"]),
            hit_cap=list(cell["hit_cap"]),
            replicates=settings.bootstrap,
            seed=settings.seed,
        )
        rows.append(
            {
                "language": language,
                "direction": direction,
                "prompting": prompting,
                "script": str(language).rsplit("_", 1)[-1],
                "no_spaces": str(language).split("_", 1)[0] in NO_SPACE_LANGUAGES,
                **numbers,
                "beats_copy": numbers["chrf_pp_lo"] > numbers["copy_baseline_hi"],
            }
        )
    return pd.DataFrame.from_records(rows)


@dataclass
class TranslateResult:
    """A finished translation run (see the module docstring)."""

    model: dict[str, Any]
    settings: dict[str, Any]
    data: dict[str, Any]
    exemplars: dict[str, Any]
    tags: dict[str, dict[str, str]]
    signatures: dict[str, str]
    scores: pd.DataFrame
    generations: pd.DataFrame

    @property
    def model_name(self) -> str:
        return str(self.model.get("name", "model"))

    def to_frame(self) -> pd.DataFrame:
        """The per-cell scores (a copy)."""
        return self.scores.copy()

    def task_frame(self, column: str = "chrf_pp") -> pd.DataFrame:
        """One row per language, one ``<direction>_<prompting>`` column of ``column`` each
        (``xx-en_ldp``, …): the shape ``correlate`` pairs with a ranking's per-language table."""
        wide = self.scores.pivot(
            index="language", columns=["direction", "prompting"], values=column
        )
        wide.columns = [f"{pair[0]}_{pair[1]}" for pair in wide.columns]
        return wide.reset_index()

    def headline(self) -> dict[str, Any]:
        """Key numbers per direction × prompting: median chrF++, median copy baseline and how
        many languages beat their copy baseline (chrF++ interval above the baseline's)."""
        out: dict[str, Any] = {"languages": int(self.scores["language"].nunique())}
        for (direction, prompting), part in self.scores.groupby(["direction", "prompting"]):
            key = f"{direction}_{prompting}"
            out[f"median_chrf_pp_{key}"] = float(part["chrf_pp"].median())
            out[f"median_copy_baseline_{key}"] = float(part["copy_baseline"].median())
            out[f"beats_copy_{key}"] = int(part["beats_copy"].sum())
        return out

    def manifest(self) -> dict[str, Any]:
        return {
            "models": {self.model_name: self.model},
            "data": self.data,
            "settings": self.settings,
            "exemplars": self.exemplars,
            "tags": self.tags,
            "signatures": self.signatures,
            "summary": self.headline(),
        }

    def _meta(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "settings": self.settings,
            "data": self.data,
            "exemplars": self.exemplars,
            "tags": self.tags,
            "signatures": self.signatures,
        }

    def save(self, target: RunFolder | str | Path) -> Path:
        """The tables and ``translate.json``; a path (not a RunFolder) is also finished with
        a manifest."""
        from babelscope.runs import save_tables

        return save_tables(
            target,
            KIND,
            {TABLES["scores"]: self.scores, TABLES["generations"]: self.generations},
            meta_name=META,
            meta=self._meta(),
            manifest=self.manifest,
        )

    @classmethod
    def load(cls, path: str | Path) -> TranslateResult:
        from babelscope.runs import read_tables

        meta, tables = read_tables(
            path,
            TABLES,
            META,
            what="readable translation result",
            fix="point at the --out folder of a finished `babelscope translate` run",
        )
        return cls(**meta, scores=tables["scores"], generations=tables["generations"])

    def plot(self, direction: str = "xx-en") -> Figure:
        """Per-language chrF++ bars (sorted) for each prompting mode of ``direction``, with
        intervals and the copy baseline as a marker."""
        from babelscope.analyses.translate.plots import chrf_bars

        return chrf_bars(self.scores, direction, title=f"{self.model_name}: {direction}")
