"""The written summary of a latent-language result: one paragraph per model, built only from
numbers its tables hold (role curves across pairs, the per-run calls and their reasons), so it
reads frames and knows nothing of the result class."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from babelscope.analyses.latent.stats import (
    SHARED_WARN,
    SUBSTANTIAL,
    crossover_layer,
    latent_window,
)

if TYPE_CHECKING:
    import pandas as pd


def _window_peak(roles: pd.DataFrame, name: str, layers: list[int]) -> tuple[float, float]:
    """Highest mean of role ``name`` over ``layers`` and the lower bound at that layer."""
    line = roles[(roles.role == name) & roles.layer.isin(layers)]
    if line.empty:
        return 0.0, 0.0
    best = int(np.argmax(line["mean"].to_numpy()))
    return float(line["mean"].iloc[best]), float(line["lower"].iloc[best])


def findings(roles: pd.DataFrame, summary: pd.DataFrame) -> list[str]:
    """One paragraph per model of ``summary`` (``LatentResult.summary_frame``: one row per run,
    in run order) from its rows and the role curves of ``roles`` (``LatentResult.role_frame``)."""
    out = []
    roles = roles[roles.subset == "all"] if len(roles) else roles
    for model in dict.fromkeys(summary["model"] if len(summary) else []):
        sub = summary[summary.model == model]
        r = roles[roles.model == model] if len(roles) else roles
        n_layers = int(sub.n_layers.iloc[0]) if len(sub) else 0
        text = [f"{model}:"]
        if len(r):
            layers = sorted(int(v) for v in r.layer.unique())
            means = {
                name: r[r.role == name].sort_values("layer")["mean"].to_numpy()
                for name in ("target", "English", "copy")
                if (r.role == name).any()
            }
            cross = crossover_layer(layers, means, "target")
            window = latent_window(layers, n_layers, cross)
            eng, eng_lo = _window_peak(r, "English", window)
            copy, _ = _window_peak(r, "copy", window)
            shared, _ = _window_peak(r, "shared", layers)
            final = r[r.layer == max(layers)].set_index("role")["mean"]
            n_pairs = int(r[r.role == "target"].n_pairs.max())
            where = (
                f"before the crossover at layer {cross}" if cross is not None else "(no crossover)"
            )
            text.append(
                f"across {n_pairs} translation pair(s) into non-English targets (mean of pair "
                f"means), English — absent from those prompts — peaks at {eng:.2f} (lower 95% "
                f"bound {eng_lo:.2f}) {where}; the copied source word peaks at "
                f"{copy:.2f}. At the last layer P(target) is {final.get('target', np.nan):.2f}."
            )
            if shared >= SHARED_WARN:
                text.append(
                    f"Tokens shared by two measured languages carry up to {shared:.2f} of the "
                    "mass: those curves cannot be told apart there."
                )
        calls = sub[sub.latent_languages != "none"]
        if len(calls):
            listed = ", ".join(
                f"{s}→{t} ({lat})"
                for s, t, lat in zip(
                    calls.source, calls.target, calls.latent_languages, strict=True
                )
            )
            text.append(f"Latent language called (lower bound ≥ {SUBSTANTIAL}) in: {listed}.")
        elif len(sub):
            text.append(
                f"No run has a latent language whose lower 95% bound reaches {SUBSTANTIAL} "
                "before the crossover (reasons per run in the table)."
            )
        if len(sub):
            text.append(
                f"Strict accuracy (first token of the target word) over all runs: "
                f"{sub.accuracy.mean():.0%}; {int(sub.n_dropped_collision.sum())} prompts "
                f"dropped for overlapping tokens, {int(sub.n_dropped_empty.sum())} for empty "
                f"token sets and {int(sub.n_dropped_shots.sum())} for lack of shots whose first "
                "token differs from the answer's."
            )
        out.append(" ".join(text))
    return out
