"""Typed results of the latent-language analysis: tidy frames, a written summary, plots, and
symmetric save/load to a run folder."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from babelscope.analyses.latent.stats import (
    SUBSTANTIAL,
    LatentCall,
    call_latent,
    mean_interval,
    middle_layers,
)
from babelscope.errors import DataError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from babelscope.runs import RunFolder

ENGLISH = "eng_Latn"
KEYS = ["model", "task", "source", "target"]


@dataclass
class PairRun:
    """Everything measured for one model on one (task, source, target)."""

    model: str
    task: str
    source: str
    target: str
    languages: list[str]  # measured; languages[0] is the target
    layers: list[int]
    n_layers: int
    vocab_size: int
    mass: np.ndarray  # [N, L, M] lens probability on each language's token set
    entropy_bits: np.ndarray  # [N, L]
    correct: np.ndarray  # [N] bool: final top-1 token in the target set
    prompt_ids: list[int]  # ids (into ``prompts``) of the kept prompts, aligned with N
    prompts: pd.DataFrame  # every prompt built for the pair, with its status for this model

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.model, self.task, self.source, self.target)

    def means(self) -> dict[str, np.ndarray]:
        return {lang: self.mass[:, :, m].mean(0) for m, lang in enumerate(self.languages)}

    def call(self) -> LatentCall:
        return call_latent(self.layers, self.means(), self.target, self.n_layers)


def role(language: str, run: PairRun) -> str:
    if language == run.target:
        return "target"
    if language == ENGLISH:
        return "English"
    if language == run.source:
        return "source"
    return "other"


@dataclass
class LatentResult:
    """Latent-language measurements for several models and language pairs."""

    runs: list[PairRun]
    models: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> provenance
    settings: dict[str, Any] = field(default_factory=dict)

    # ---- tidy tables -------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """One row per model × task × source × target × measured language × layer with the
        mean lens probability, its 95% interval and n (prompts)."""
        rows = []
        for run in self.runs:
            for m, lang in enumerate(run.languages):
                for li, layer in enumerate(run.layers):
                    mean, lower, upper, n = mean_interval(run.mass[:, li, m])
                    rows.append(
                        (
                            *run.key,
                            lang,
                            role(lang, run),
                            layer,
                            layer / run.n_layers,
                            mean,
                            lower,
                            upper,
                            n,
                        )
                    )
        return pd.DataFrame(
            rows,
            columns=[*KEYS, "language", "role", "layer", "depth", "mean", "lower", "upper", "n"],
        )

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
        parts = []
        for run in self.runs:
            n, n_l, n_m = run.mass.shape
            idx = np.indices((n, n_l, n_m)).reshape(3, -1)
            parts.append(
                pd.DataFrame(
                    {
                        "model": run.model,
                        "task": run.task,
                        "source": run.source,
                        "target": run.target,
                        "prompt_id": np.asarray(run.prompt_ids, dtype=np.int64)[idx[0]],
                        "layer": np.asarray(run.layers, dtype=np.int64)[idx[1]],
                        "language": np.asarray(run.languages, dtype=object)[idx[2]],
                        "prob": run.mass.reshape(-1).astype(np.float64),
                        "entropy_bits": run.entropy_bits[idx[0], idx[1]].astype(np.float64),
                    }
                )
            )
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def prompts_frame(self) -> pd.DataFrame:
        parts = [run.prompts.assign(model=run.model) for run in self.runs]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def summary_frame(self) -> pd.DataFrame:
        """One row per run: latent language(s), crossover layer, final accuracy, counts."""
        rows = []
        for run in self.runs:
            call = run.call()
            statuses = run.prompts["status"]
            rows.append(
                {
                    **dict(zip(KEYS, run.key, strict=True)),
                    "latent_languages": ",".join(call.latent) or "none",
                    "dual_latent": call.dual,
                    "crossover_layer": call.crossover_layer,
                    "n_layers": run.n_layers,
                    "accuracy": float(run.correct.mean()) if len(run.correct) else math.nan,
                    "n_prompts": len(run.prompt_ids),
                    "n_built": len(statuses),
                    "n_dropped_collision": int(statuses.str.startswith("dropped: collides").sum()),
                    "n_dropped_empty": int(statuses.str.startswith("dropped: no prefix").sum()),
                    "latent_peaks": json.dumps(
                        {k: [round(v, 4), call.peak_layers[k]] for k, v in call.peaks.items()}
                    ),
                }
            )
        return pd.DataFrame(rows)

    def role_frame(self) -> pd.DataFrame:
        """Per model, translation prompts pooled over pairs whose target is not English: the
        mean mass on the target, on English and on the source language, per layer."""
        rows = []
        for model in dict.fromkeys(run.model for run in self.runs):
            runs = [
                r
                for r in self.runs
                if r.model == model
                and r.task == "translation"
                and r.target != ENGLISH
                and len(r.prompt_ids)
            ]
            if not runs:
                continue
            for wanted in ("target", "English", "source"):
                stacks = [
                    r.mass[:, :, m]
                    for r in runs
                    for m, lang in enumerate(r.languages)
                    if role(lang, r) == wanted
                ]
                if not stacks:
                    continue
                values = np.concatenate(stacks)
                for li, layer in enumerate(runs[0].layers):
                    mean, lower, upper, n = mean_interval(values[:, li])
                    rows.append(
                        (model, wanted, layer, layer / runs[0].n_layers, mean, lower, upper, n)
                    )
        return pd.DataFrame(
            rows, columns=["model", "language", "layer", "depth", "mean", "lower", "upper", "n"]
        )

    # ---- words -------------------------------------------------------------------------
    def findings(self) -> list[str]:
        """A short written summary of what the data shows, one sentence per model."""
        out = []
        roles = self.role_frame()
        summary = self.summary_frame()
        for model in dict.fromkeys(run.model for run in self.runs):
            sub = summary[summary.model == model]
            r = roles[roles.model == model]
            n_layers = int(sub.n_layers.iloc[0]) if len(sub) else 0
            text = [f"{model}:"]
            if len(r):
                mid = middle_layers(sorted(r.layer.unique()), n_layers)
                mid_r = r[r.layer.isin(mid)].groupby("language")["mean"].max()
                eng, tgt = mid_r.get("English", 0.0), mid_r.get("target", 0.0)
                src = mid_r.get("source", 0.0)
                final = r[r.layer == r.layer.max()].set_index("language")["mean"]
                if max(eng, tgt, src) < SUBSTANTIAL:
                    pivot = "puts little mass on any measured language"
                elif eng > max(tgt, src):
                    pivot = "pivots through English"
                elif src > max(eng, tgt) and eng >= SUBSTANTIAL:
                    pivot = "thinks in the source language first, with English close behind,"
                elif src > max(eng, tgt):
                    pivot = "stays in the source language"
                else:
                    pivot = "moves to the target language early"
                text.append(
                    f"on translation into non-English targets it {pivot} in the latent window "
                    f"(peak mean P(English) {eng:.2f} vs P(target) {tgt:.2f}, P(source) "
                    f"{src:.2f}); at the last layer P(target) is {final.get('target', 0):.2f} "
                    f"and P(English) {final.get('English', 0):.2f}."
                )
            duals = sub[sub.dual_latent]
            if len(duals):
                pairs = ", ".join(
                    f"{s}→{t} ({lat})"
                    for s, t, lat in zip(
                        duals.source, duals.target, duals.latent_languages, strict=True
                    )
                )
                text.append(f"Dual latent languages in: {pairs}.")
            if len(sub):
                text.append(
                    f"Final-layer accuracy over all runs: {sub.accuracy.mean():.0%}; "
                    f"{int(sub.n_dropped_collision.sum())} prompts dropped for token "
                    f"collisions and {int(sub.n_dropped_empty.sum())} for empty "
                    "token sets."
                )
            out.append(" ".join(text))
        return out

    # ---- plots -------------------------------------------------------------------------
    def plot(
        self,
        kind: str = "overview",
        *,
        task: str | None = None,
        source: str | None = None,
        target: str | None = None,
    ) -> Figure:
        """``overview``: per model, P(target)/P(English)/P(source) pooled over translation pairs
        (Wendler et al.'s figure). ``pair``: one (task, source, target), models side by side.
        ``entropy``: entropy per layer for each model (pooled over runs)."""
        from babelscope.plotting.curves import plot_layer_curves

        if kind == "overview":
            frame = self.role_frame()
            if frame.empty:
                raise DataError("no translation runs with a non-English target to plot")
            return plot_layer_curves(
                frame,
                hue="language",
                facet="model",
                title="Logit lens: where the probability goes, by layer",
                hue_order=["target", "English", "source"],
                ylim=(0, 1),
            )
        if kind == "pair":
            frame = self.to_frame()
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
            ]
            title = f"{first.task}: {first.source} → {first.target}"
            return plot_layer_curves(frame, hue="language", facet="model", title=title, ylim=(0, 1))
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
        run.write_table("latent", self.to_frame())
        run.write_table("entropy", self.entropy_frame())
        run.write_table("latent_summary", self.summary_frame())
        run.write_table("latent_per_prompt", self.per_prompt_frame())
        prompts = self.prompts_frame()
        prompts["answers"] = prompts["answers"].map(lambda a: json.dumps(a, ensure_ascii=False))
        run.write_table("prompts", prompts)
        meta = [
            {
                "model": r.model,
                "task": r.task,
                "source": r.source,
                "target": r.target,
                "languages": r.languages,
                "layers": r.layers,
                "n_layers": r.n_layers,
                "vocab_size": r.vocab_size,
                "prompt_ids": r.prompt_ids,
                "correct": r.correct.astype(bool).tolist(),
            }
            for r in self.runs
        ]
        run.write_json(
            "latent_runs.json", {"runs": meta, "models": self.models, "settings": self.settings}
        )

    @classmethod
    def load(cls, path: str | Path) -> LatentResult:
        """Rebuild the result from a run folder written by :meth:`save`."""
        folder = Path(path)
        try:
            meta = json.loads((folder / "latent_runs.json").read_text())
            per_prompt = pd.read_parquet(folder / "latent_per_prompt.parquet")
            prompts = pd.read_parquet(folder / "prompts.parquet")
        except (OSError, ValueError) as exc:
            raise DataError(
                f"{folder} holds no latent-language results ({exc})",
                fix="point at the --out folder of babelscope latent/demo",
            ) from exc
        prompts["answers"] = prompts["answers"].map(json.loads)
        runs = []
        for m in meta["runs"]:
            key = (
                (per_prompt.model == m["model"])
                & (per_prompt.task == m["task"])
                & (per_prompt.source == m["source"])
                & (per_prompt.target == m["target"])
            )
            sub = per_prompt[key]
            n, n_l, n_m = len(m["prompt_ids"]), len(m["layers"]), len(m["languages"])
            pos = {p: i for i, p in enumerate(m["prompt_ids"])}
            lay = {v: i for i, v in enumerate(m["layers"])}
            lng = {v: i for i, v in enumerate(m["languages"])}
            mass = np.zeros((n, n_l, n_m), dtype=np.float32)
            ent = np.zeros((n, n_l), dtype=np.float32)
            ii = sub.prompt_id.map(pos).to_numpy()
            jj = sub.layer.map(lay).to_numpy()
            kk = sub.language.map(lng).to_numpy()
            mass[ii, jj, kk] = sub.prob.to_numpy()
            ent[ii, jj] = sub.entropy_bits.to_numpy()
            pkey = (
                (prompts.model == m["model"])
                & (prompts.task == m["task"])
                & (prompts.source == m["source"])
                & (prompts.target == m["target"])
            )
            runs.append(
                PairRun(
                    model=m["model"],
                    task=m["task"],
                    source=m["source"],
                    target=m["target"],
                    languages=m["languages"],
                    layers=m["layers"],
                    n_layers=m["n_layers"],
                    vocab_size=m["vocab_size"],
                    mass=mass,
                    entropy_bits=ent,
                    correct=np.asarray(m["correct"], dtype=bool),
                    prompt_ids=m["prompt_ids"],
                    prompts=prompts[pkey].drop(columns=["model"]).reset_index(drop=True),
                )
            )
        return cls(runs=runs, models=meta.get("models", {}), settings=meta.get("settings", {}))
