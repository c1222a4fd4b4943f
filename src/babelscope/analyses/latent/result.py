"""Typed results of the latent-language analysis: tidy frames, a written summary, plots, and
symmetric save/load to a run folder.

What each curve's role means is in :mod:`~babelscope.analyses.latent.pair_run`. The modules
this one uses sit below it: :mod:`~babelscope.analyses.latent.findings` writes the summary from
the tables, :mod:`~babelscope.analyses.latent.persist` writes and reads the folder's files.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from babelscope.analyses.latent.findings import findings as written_findings
from babelscope.analyses.latent.pair_run import (
    ENGLISH,
    KEYS,
    OTHER,
    SHARED,
    PairRun,
    prompt_intervals,
    role,
)
from babelscope.analyses.latent.persist import read_runs, write_tables
from babelscope.analyses.latent.stats import SHARED_WARN, mean_interval, pair_interval
from babelscope.errors import DataError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from babelscope.runs import RunFolder

__all__ = ["ENGLISH", "OTHER", "SHARED", "LatentResult", "PairRun", "role"]

SUBSETS = ("all", "correct")
OVERVIEW_ROLES = ("target", "English", "copy", SHARED)


def _series_labels(languages: pd.Series, roles: pd.Series) -> list[str]:
    """``fra_Latn (copy)`` per curve; a bucket that is its own role reads ``shared``, never
    ``shared (shared)``."""
    return [
        lang if lang == r else f"{lang} ({r})" for lang, r in zip(languages, roles, strict=True)
    ]


def _unmeasured(run: PairRun) -> str:
    """Why a pair's panel may be empty, from what the run recorded: ``0 of 40 prompts
    measurable: no prefix tokens for kor_Hang`` (the most frequent reason a prompt was dropped)."""
    statuses = run.prompts["status"].astype(str) if "status" in run.prompts else pd.Series([])
    if statuses.empty:
        shots = int(run.counts.get("n_dropped_shots", 0))
        return "no prompt built for this pair" + (
            f": {shots} dropped for want of shots whose first token differs from the answer's"
            if shots
            else ""
        )
    dropped = statuses[statuses != "kept"]
    why = f": {dropped.value_counts().index[0].removeprefix('dropped: ')}" if len(dropped) else ""
    return f"{len(run.prompt_ids)} of {len(statuses)} prompts measurable{why}"


@dataclass
class LatentResult:
    """Latent-language measurements for several models and language pairs."""

    runs: list[PairRun]
    models: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> provenance
    settings: dict[str, Any] = field(default_factory=dict)

    # ---- tidy tables -------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """One row per model × task × source × target × subset (``all`` prompts, or only the
        ``correct``ly answered ones) × series (each measured language, ``shared``, ``other``)
        × layer: the mean lens probability, its 95% interval over prompts and n."""
        parts = []
        for run in self.runs:
            for subset in SUBSETS:
                for name, values in run.series(subset).items():
                    if subset != "all" and not len(values):
                        continue  # no correctly answered prompt: no rows, rather than NaNs
                    mean, lower, upper, n = prompt_intervals(values)
                    parts.append(
                        pd.DataFrame(
                            {
                                **dict(zip(KEYS, run.key, strict=True)),
                                "subset": subset,
                                "language": name,
                                "role": role(name, run),
                                "layer": np.asarray(run.layers, dtype=np.int64),
                                "depth": np.asarray(run.layers) / run.n_layers,
                                "mean": mean.astype(np.float64),
                                "lower": lower.astype(np.float64),
                                "upper": upper.astype(np.float64),
                                "n": n,
                            }
                        )
                    )
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def entropy_frame(self) -> pd.DataFrame:
        """Entropy of the lens distribution per layer, in bits and as a fraction of log2|V|."""
        rows = []
        for run in self.runs:
            top = math.log2(run.vocab_size)
            for li, layer in enumerate(run.layers):
                mean, lower, upper, n = mean_interval(run.entropy_bits[:, li])
                rows.append(
                    (*run.key, layer, layer / run.n_layers, mean, lower, upper, mean / top, n)
                )
        return pd.DataFrame(
            rows,
            columns=[*KEYS, "layer", "depth", "mean", "lower", "upper", "fraction_of_max", "n"],
        )

    def per_prompt_frame(self) -> pd.DataFrame:
        """One row per kept prompt × layer × series (languages, ``shared``, ``other``)."""
        parts = []
        for run in self.runs:
            series = run.series()
            names = list(series)
            stacked = np.stack([series[name] for name in names], axis=-1)  # [N, L, S]
            n, n_l, n_s = stacked.shape
            idx = np.indices((n, n_l, n_s)).reshape(3, -1)
            parts.append(
                pd.DataFrame(
                    {
                        **dict(zip(KEYS, run.key, strict=True)),
                        "prompt_id": np.asarray(run.prompt_ids, dtype=np.int64)[idx[0]],
                        "layer": np.asarray(run.layers, dtype=np.int64)[idx[1]],
                        "language": np.asarray(names, dtype=object)[idx[2]],
                        "prob": stacked.reshape(-1).astype(np.float64),
                        "entropy_bits": run.entropy_bits[idx[0], idx[1]].astype(np.float64),
                    }
                )
            )
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def prompts_frame(self) -> pd.DataFrame:
        parts = [run.prompts.assign(model=run.model) for run in self.runs]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def summary_frame(self) -> pd.DataFrame:
        """One row per run: the latent call and its reason, the copy signal, the shared mass,
        strict accuracy and the prompt counts."""
        rows = []
        for run in self.runs:
            call = run.call()
            statuses = run.prompts["status"].astype(str)
            shared = run.series()[SHARED]
            shared_mean = shared.mean(0) if len(shared) else np.zeros(len(run.layers))
            peak = int(np.argmax(shared_mean))
            between = run.prompts.get("shared_between", pd.Series(dtype=str)).fillna("")
            pair_counts: dict[str, int] = {}
            for text in between[statuses == "kept"]:
                for pair in filter(None, str(text).split(";")):
                    pair_counts[pair] = pair_counts.get(pair, 0) + 1
            rows.append(
                {
                    **dict(zip(KEYS, run.key, strict=True)),
                    "latent_languages": ",".join(call.latent) or "none",
                    "dual_latent": call.dual,
                    "reason": call.reason,
                    "candidates": ",".join(call.candidates),
                    "crossover_layer": call.crossover_layer,
                    "window": f"{call.window[0]}–{call.window[1]}" if call.window else "",
                    "n_layers": run.n_layers,
                    "copy_peak": call.copy_peak,
                    "copy_peak_layer": call.copy_peak_layer,
                    "accuracy": float(run.correct.mean()) if len(run.correct) else math.nan,
                    "n_correct": int(run.correct.sum()),
                    "peak_shared": float(shared_mean[peak]),
                    "peak_shared_layer": int(run.layers[peak]),
                    "shared_large": bool(shared_mean[peak] >= SHARED_WARN),
                    "shared_between": json.dumps(pair_counts),
                    "n_prompts": len(run.prompt_ids),
                    "n_built": len(statuses),
                    # "collides" is how folders written before the shared bucket say it
                    "n_dropped_collision": int(
                        statuses.str.startswith(("dropped: overlap", "dropped: collides")).sum()
                    ),
                    "n_dropped_empty": int(statuses.str.startswith("dropped: no prefix").sum()),
                    "n_shots_changed": run.counts.get("n_shots_changed", 0),
                    "n_dropped_shots": run.counts.get("n_dropped_shots", 0),
                    "latent_peaks": json.dumps(
                        {
                            c: [round(call.peaks[c], 4), round(call.lower_peaks[c], 4), layer]
                            for c, layer in call.peak_layers.items()
                        }
                    ),
                }
            )
        return pd.DataFrame(rows)

    def role_frame(self) -> pd.DataFrame:
        """Per model, subset and role, translation into non-English targets across pairs: the
        mean of the per-pair means per layer with a 95% t-interval over pairs (pairs, not
        prompts, are the independent units; see :func:`stats.pair_interval`); a role seen in
        one pair only gets that pair's interval over prompts. Roles: target, English (only
        pairs where it is absent from the prompt), copy, shared."""
        rows = []
        for model in dict.fromkeys(run.model for run in self.runs):
            runs = [
                r
                for r in self.runs
                if r.model == model and r.task == "translation" and r.target != ENGLISH
            ]
            for subset in SUBSETS:
                for wanted in OVERVIEW_ROLES:
                    samples = [
                        values
                        for r in runs
                        for name, values in r.series(subset).items()
                        if role(name, r) == wanted and len(values)
                    ]
                    if not samples:
                        continue
                    prompts = sum(len(v) for v in samples)
                    stacked = np.stack([v.mean(0) for v in samples])  # [pairs, L]
                    for li, layer in enumerate(runs[0].layers):
                        if len(samples) == 1:  # one pair: its prompt-level interval
                            mean, lower, upper, _ = mean_interval(samples[0][:, li])
                            n_pairs = 1
                        else:
                            mean, lower, upper, n_pairs = pair_interval(stacked[:, li])
                        depth = layer / runs[0].n_layers
                        rows.append(
                            (
                                model,
                                subset,
                                wanted,
                                layer,
                                depth,
                                mean,
                                lower,
                                upper,
                                n_pairs,
                                prompts,
                            )
                        )
        columns = ["model", "subset", "role", "layer", "depth", "mean", "lower", "upper"]
        return pd.DataFrame(rows, columns=[*columns, "n_pairs", "n_prompts"])

    # ---- words -------------------------------------------------------------------------
    def findings(self) -> list[str]:
        """A short written summary of what the data shows, one paragraph per model."""
        return written_findings(self.role_frame(), self.summary_frame())

    # ---- plots -------------------------------------------------------------------------
    def plot(
        self,
        kind: str = "overview",
        *,
        task: str | None = None,
        source: str | None = None,
        target: str | None = None,
        subset: str = "all",
    ) -> Figure:
        """``overview``: per model, the target, English, copy and shared curves across
        translation pairs (means of pair means, t-intervals over pairs). ``pair``: one (task,
        source, target), models side by side. ``entropy``: entropy per layer for each model.
        ``subset="correct"`` draws only the correctly answered prompts."""
        from babelscope.plotting.colors import palette_by_meaning
        from babelscope.plotting.curves import plot_layer_curves

        if subset not in SUBSETS:
            raise DataError(f"unknown subset {subset!r}", fix="use all or correct")
        note = " (correctly answered prompts)" if subset == "correct" else ""
        if kind == "overview":
            frame = self.role_frame()
            frame = frame[frame.subset == subset]
            if frame.empty:
                raise DataError("no translation runs with a non-English target to plot")
            return plot_layer_curves(
                frame,
                hue="role",
                facet="model",
                title=f"Logit lens across pairs: where the probability goes{note}",
                hue_order=list(OVERVIEW_ROLES),
                ylim=(0, 1),
            )
        if kind == "pair":
            frame = self.to_frame()
            frame = frame[(frame.subset == subset) & (frame.language != OTHER)]
            for col, value in (("task", task), ("source", source), ("target", target)):
                if value is not None:
                    frame = frame[frame[col] == value]
            if frame.empty:
                raise DataError(f"no run matches task={task} source={source} target={target}")
            first = frame.iloc[0]
            frame = frame[
                (frame.task == first.task)
                & (frame.source == first.source)
                & (frame.target == first.target)
            ].assign(series=lambda f: _series_labels(f.language, f.role))
            runs = [r for r in self.runs if r.key[1:] == (first.task, first.source, first.target)]
            title = f"{first.task}: {first.source} → {first.target}{note}"
            return plot_layer_curves(
                frame,
                hue="series",
                facet="model",
                title=title,
                ylim=(0, 1),
                palette=palette_by_meaning(dict(zip(frame.series, frame.role, strict=True))),
                facet_order=list(dict.fromkeys(r.model for r in runs)),
                empty_notes={r.model: _unmeasured(r) for r in runs},
            )
        if kind == "entropy":
            ent = (
                self.entropy_frame()
                .groupby(["model", "layer"], as_index=False)[["mean", "lower", "upper"]]
                .mean()
            )
            ent["series"] = "entropy"
            return plot_layer_curves(
                ent,
                hue="series",
                facet="model",
                ylabel="bits",
                title="Entropy of the lens distribution",
            )
        raise DataError(f"unknown plot kind {kind!r}", fix="use overview, pair or entropy")

    # ---- persistence -------------------------------------------------------------------
    def headline(self) -> dict[str, Any]:
        """Key numbers per model (JSON-ready): final accuracy, prompts measured, runs with a
        dual latent language, and each pair's latent language(s); for manifests and ``--json``."""
        summary = self.summary_frame()
        out: dict[str, Any] = {}
        for model in dict.fromkeys(run.model for run in self.runs):
            sub = summary[summary.model == model]
            out[model] = {
                "accuracy": round(float(sub.accuracy.mean()), 4) if len(sub) else None,
                "prompts": int(sub.n_prompts.sum()),
                "dual_latent_runs": int(sub.dual_latent.sum()),
                "latent": {
                    f"{r.task}:{r.source}:{r.target}": r.latent_languages for r in sub.itertuples()
                },
            }
        return out

    def save(self, run: RunFolder | str | Path) -> Path:
        """Write the tidy tables (Parquet) and ``latent_runs.json``; :meth:`load` reads them.

        Given a path, the folder is also finished as a ``latent`` run (manifest written last);
        given a :class:`~babelscope.runs.RunFolder`, its owner writes plots, report, manifest."""
        from babelscope.runs import open_for_save

        folder, owned = open_for_save(run, "latent")
        self._write_tables(folder)
        if owned:
            folder.finish(
                {"models": self.models, "settings": self.settings, "summary": self.headline()}
            )
        return folder.path

    def _write_tables(self, run: RunFolder) -> None:
        tables = {
            "latent": self.to_frame(),
            "entropy": self.entropy_frame(),
            "latent_summary": self.summary_frame(),
            "latent_roles": self.role_frame(),
            "latent_per_prompt": self.per_prompt_frame(),
            "prompts": self.prompts_frame(),
        }
        write_tables(run, tables, self.runs, models=self.models, settings=self.settings)

    @classmethod
    def load(cls, path: str | Path) -> LatentResult:
        """Rebuild the result from a run folder written by :meth:`save`."""
        runs, models, settings = read_runs(Path(path))
        return cls(runs=runs, models=models, settings=settings)
