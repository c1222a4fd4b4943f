"""Typed result of the patching analysis: tidy frames, a written summary, a plot, and
symmetric save/load of a folder."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from babelscope.analyses.latent import SUBSTANTIAL, mean_interval
from babelscope.errors import DataError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from babelscope.runs import RunFolder

KEYS = ["model", "s1", "t1", "s2", "t2"]
#: The curves the plot shows, in legend order.
PLOTTED = ("A in T2", "B in T2", "A in T1", "B in T1")
RUNS_JSON = "patching_runs.json"


@dataclass
class PatchRun:
    """One model, one setup: probabilities per kept pair, patched layer and measured set."""

    model: str
    s1: str
    t1: str
    s2: str
    t2: str
    layers: list[int]
    n_layers: int
    series: list[str]  # labels, e.g. "A in T2"
    concepts: list[str]  # "A" or "B", aligned with series
    languages: list[str]  # FLORES code of each series
    probs: np.ndarray  # [N, L, S] the patched run's final probability on each set
    source_baseline: np.ndarray  # [N, S] the unpatched source prompt's final probability
    target_baseline: np.ndarray  # [N, S] the unpatched target prompt's final probability
    pairs: pd.DataFrame  # one row per kept pair (texts, concepts, words)
    counts: dict[str, int] = field(default_factory=dict)  # prompts built, dropped, …
    seconds: float = math.nan

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.model, self.s1, self.t1, self.s2, self.t2)

    def mean_curve(self, label: str) -> np.ndarray:
        """Mean over pairs of one series, per layer (``[L]``; NaN without pairs)."""
        values = self.probs[:, :, self.series.index(label)]
        return values.mean(0) if len(values) else np.full(len(self.layers), math.nan)


def leading_phases(run: PatchRun) -> str:
    """Which plotted set has the highest mean at each patched layer, as contiguous runs:
    ``"B in T2 0-5, B in T1 6-12, A in T1 13-18"``."""
    curves = np.stack([run.mean_curve(label) for label in PLOTTED])  # [4, L]
    best = [PLOTTED[int(i)] for i in np.argmax(curves, axis=0)]
    parts: list[str] = []
    start = 0
    for i in range(1, len(best) + 1):
        if i == len(best) or best[i] != best[start]:
            lo, hi = run.layers[start], run.layers[i - 1]
            parts.append(f"{best[start]} {lo}" + (f"-{hi}" if hi != lo else ""))
            start = i
    return ", ".join(parts)


@dataclass
class PatchingResult:
    """Patching measurements for several models (and setups)."""

    runs: list[PatchRun]
    models: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> provenance
    settings: dict[str, Any] = field(default_factory=dict)

    # ---- tidy tables -------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """One row per run × measured set × patched layer: mean probability over pairs, its
        95% interval and n (pairs)."""
        rows = []
        for run in self.runs:
            for s, label in enumerate(run.series):
                for li, layer in enumerate(run.layers):
                    mean, lower, upper, n = mean_interval(run.probs[:, li, s])
                    rows.append(
                        (
                            *run.key,
                            label,
                            run.concepts[s],
                            run.languages[s],
                            layer,
                            layer / run.n_layers,
                            mean,
                            lower,
                            upper,
                            n,
                        )
                    )
        columns = [*KEYS, "series", "concept", "language", "layer", "depth"]
        return pd.DataFrame(rows, columns=[*columns, "mean", "lower", "upper", "n"])

    def baseline_frame(self) -> pd.DataFrame:
        """Unpatched runs: each set's mean final probability on the source and target prompts."""
        rows = []
        for run in self.runs:
            for prompt, values in (
                ("source", run.source_baseline),
                ("target", run.target_baseline),
            ):
                for s, label in enumerate(run.series):
                    rows.append((*run.key, prompt, label, *mean_interval(values[:, s])))
        columns = [*KEYS, "prompt", "series", "mean", "lower", "upper", "n"]
        return pd.DataFrame(rows, columns=columns)

    def per_pair_frame(self) -> pd.DataFrame:
        """Every number measured: one row per run × pair × layer × set (``layer`` -1 and -2
        hold the unpatched source and target prompts)."""
        parts = []
        for run in self.runs:
            n, n_l, n_s = run.probs.shape
            full = np.concatenate(
                [run.probs, run.source_baseline[:, None], run.target_baseline[:, None]], axis=1
            )
            layers = np.asarray([*run.layers, -1, -2], dtype=np.int64)
            idx = np.indices((n, n_l + 2, n_s)).reshape(3, -1)
            frame = pd.DataFrame(
                {
                    "pair_id": run.pairs["pair_id"].to_numpy(dtype=np.int64)[idx[0]],
                    "layer": layers[idx[1]],
                    "series": np.asarray(run.series, dtype=object)[idx[2]],
                    "prob": full.reshape(-1).astype(np.float64),
                }
            )
            for name, value in zip(KEYS, run.key, strict=True):
                frame.insert(KEYS.index(name), name, value)
            parts.append(frame)
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def pairs_frame(self) -> pd.DataFrame:
        parts = [run.pairs.assign(**dict(zip(KEYS, run.key, strict=True))) for run in self.runs]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def summary_frame(self) -> pd.DataFrame:
        """One row per run: which measured set leads at which patched layers, where P(A in T2)
        beats P(B in T2) with substance, and whether patching lifts P(A in T2) above its
        unpatched value (paired 95% interval over pairs above zero)."""
        rows = []
        for run in self.runs:
            a_t2, b_t2, a_t1 = (run.mean_curve(label) for label in PLOTTED[:3])
            wins = [
                layer
                for layer, a, b in zip(run.layers, a_t2, b_t2, strict=True)
                if a > b and a >= SUBSTANTIAL
            ]
            a_index = run.series.index("A in T2")
            lift = run.probs[:, :, a_index] - run.target_baseline[:, None, a_index]
            lifted = [
                layer
                for li, layer in enumerate(run.layers)
                if len(lift) > 1 and mean_interval(lift[:, li])[1] > 0
            ]
            peak = int(np.nanargmax(a_t2)) if len(run.probs) else 0
            base_t = dict(zip(run.series, np.nanmean(run.target_baseline, 0), strict=True))
            base_s = dict(zip(run.series, np.nanmean(run.source_baseline, 0), strict=True))
            rows.append(
                {
                    **dict(zip(KEYS, run.key, strict=True)),
                    "n_layers": run.n_layers,
                    "n_pairs": len(run.probs),
                    "leading": leading_phases(run) if len(run.probs) else "",
                    "first_layer_a_beats_b": wins[0] if wins else None,
                    "last_layer_a_beats_b": wins[-1] if wins else None,
                    "n_layers_a_beats_b": len(wins),
                    "layers_a_in_t2_lifted": ",".join(map(str, lifted)),
                    "max_a_in_t2_lift": float(np.nanmax(lift.mean(0))) if len(lift) else math.nan,
                    "peak_a_in_t2": float(a_t2[peak]),
                    "peak_layer": int(run.layers[peak]),
                    "b_in_t2_at_peak": float(b_t2[peak]),
                    "a_in_t1_at_peak": float(a_t1[peak]),
                    "unpatched_target_a_in_t2": float(base_t.get("A in T2", math.nan)),
                    "unpatched_target_b_in_t2": float(base_t.get("B in T2", math.nan)),
                    "unpatched_source_a_in_t1": float(base_s.get("A in T1", math.nan)),
                    **{f"n_{k}": v for k, v in run.counts.items()},
                    "seconds": run.seconds,
                }
            )
        return pd.DataFrame(rows)

    # ---- words -------------------------------------------------------------------------
    def findings(self) -> list[str]:
        """One sentence per run, with the numbers."""
        out = []
        for row in self.summary_frame().to_dict("records"):
            head = (
                f"{row['model']}, {row['s1']}→{row['t1']} patched into {row['s2']}→{row['t2']} "
                f"({row['n_pairs']} pairs):"
            )
            if not row["n_pairs"]:
                out.append(f"{head} no pair survived the collision rule.")
                continue
            if pd.isna(row["first_layer_a_beats_b"]):
                body = (
                    f"the strongest set by patched layer is {row['leading']}; P(A in T2) "
                    f"never beats P(B in T2) while reaching {SUBSTANTIAL}"
                )
            else:
                first, last = int(row["first_layer_a_beats_b"]), int(row["last_layer_a_beats_b"])
                body = (
                    f"the strongest set by patched layer is {row['leading']}; P(A in T2) "
                    f"beats P(B in T2) (and reaches {SUBSTANTIAL}) from layer {first} to {last}"
                )
            out.append(
                f"{head} {body}; P(A in T2) peaks at {row['peak_a_in_t2']:.2f} at layer "
                f"{row['peak_layer']} of {row['n_layers']}, where P(B in T2) is "
                f"{row['b_in_t2_at_peak']:.2f} and P(A in T1) {row['a_in_t1_at_peak']:.2f} "
                f"(largest mean lift of P(A in T2) over the unpatched target prompt: "
                f"{row['max_a_in_t2_lift']:+.3f}; unpatched: P(B in T2) "
                f"{row['unpatched_target_b_in_t2']:.2f} on the target "
                f"prompt, P(A in T1) {row['unpatched_source_a_in_t1']:.2f} on the source prompt)."
            )
        return out

    # ---- plots -------------------------------------------------------------------------
    def plot(self) -> Figure:
        """Per-layer mean P(A in T2), P(B in T2), P(A in T1) and P(B in T1) with 95% intervals
        over pairs, one panel per model and setup (its pair count in the title). B in T1 —
        the target's concept in the source's output language — shows where the patched state
        carries the output language but not yet the concept."""
        from babelscope.plotting.curves import plot_layer_curves

        frame = self.to_frame()
        frame = frame[frame.series.isin(PLOTTED) & (frame.n > 0)].copy()
        if frame.empty:
            raise DataError("no patching measurements to plot", fix="measure at least one pair")
        short = {code: code.split("_")[0] for code in {*frame.s1, *frame.t1, *frame.s2, *frame.t2}}
        frame["panel"] = [
            f"{m} (n={n})\n{short[s1]}→{short[t1]} into {short[s2]}→{short[t2]}"
            for m, s1, t1, s2, t2, n in zip(
                frame.model, frame.s1, frame.t1, frame.s2, frame.t2, frame.n, strict=True
            )
        ]
        return plot_layer_curves(
            frame,
            hue="series",
            facet="panel",
            hue_order=list(PLOTTED),
            title="Activation patching: the source prompt's last state, patched in at layer ℓ",
            xlabel="patched layer ℓ",
            ylabel="final probability",
            ylim=(0, 1),
            ncols=2,
        )

    # ---- persistence -------------------------------------------------------------------
    def save(self, out: str | Path | RunFolder) -> None:
        """Write the tidy tables (Parquet) and run metadata into a folder; :meth:`load` reads
        them back. Plots, report and manifest are the caller's."""
        from babelscope.runs import RunFolder

        run = out if isinstance(out, RunFolder) else RunFolder(out)
        run.write_table("patching", self.to_frame())
        run.write_table("patching_baselines", self.baseline_frame())
        run.write_table("patching_summary", self.summary_frame())
        run.write_table("patching_per_pair", self.per_pair_frame())
        run.write_table("patching_pairs", self.pairs_frame())
        meta = [
            {
                "key": list(r.key),
                "layers": r.layers,
                "n_layers": r.n_layers,
                "series": r.series,
                "concepts": r.concepts,
                "languages": r.languages,
                "counts": r.counts,
                "seconds": r.seconds,
            }
            for r in self.runs
        ]
        run.write_json(RUNS_JSON, {"runs": meta, "models": self.models, "settings": self.settings})

    @classmethod
    def load(cls, path: str | Path) -> PatchingResult:
        """Rebuild the result from a folder written by :meth:`save`."""
        folder = Path(path)
        try:
            meta = json.loads((folder / RUNS_JSON).read_text())
            per_pair = pd.read_parquet(folder / "patching_per_pair.parquet")
            pairs = pd.read_parquet(folder / "patching_pairs.parquet")
        except (OSError, ValueError) as exc:
            raise DataError(
                f"{folder} holds no patching results ({exc})",
                fix="point at the --out folder of babelscope patch",
            ) from exc
        runs = []
        for m in meta["runs"]:
            key = dict(zip(KEYS, m["key"], strict=True))
            mine = np.logical_and.reduce([per_pair[k] == v for k, v in key.items()])
            sub = per_pair[mine] if len(per_pair) else per_pair
            run_pairs = pairs[np.logical_and.reduce([pairs[k] == v for k, v in key.items()])]
            run_pairs = run_pairs.drop(columns=KEYS).reset_index(drop=True)
            ids = run_pairs["pair_id"].tolist()
            layers = [*m["layers"], -1, -2]
            full = np.zeros((len(ids), len(layers), len(m["series"])), dtype=np.float32)
            if len(sub):
                pos = {p: i for i, p in enumerate(ids)}
                lay = {v: i for i, v in enumerate(layers)}
                ser = {v: i for i, v in enumerate(m["series"])}
                full[
                    sub.pair_id.map(pos).to_numpy(),
                    sub.layer.map(lay).to_numpy(),
                    sub.series.map(ser).to_numpy(),
                ] = sub.prob.to_numpy()
            runs.append(
                PatchRun(
                    **key,
                    layers=m["layers"],
                    n_layers=m["n_layers"],
                    series=m["series"],
                    concepts=m["concepts"],
                    languages=m["languages"],
                    probs=full[:, :-2],
                    source_baseline=full[:, -2],
                    target_baseline=full[:, -1],
                    pairs=run_pairs,
                    counts=m.get("counts", {}),
                    seconds=m.get("seconds", math.nan),
                )
            )
        return cls(runs=runs, models=meta.get("models", {}), settings=meta.get("settings", {}))
