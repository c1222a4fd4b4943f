"""Aggregation: means with 95% intervals (over prompts, and over pairs), the crossover layer and
the latent-language call.

The call, in words. The *crossover* is the first layer from which the target leads every other
measured language (latent candidates and the copied source word) and carries ≥ 0.05. The
*latent window* is the layers from L/4 up to, not including, the crossover — where the model
has not written the answer yet — or up to L−1 when the target never takes over. A *candidate*
is a measured language absent from the prompt (not the source, not the target; shots are in
those two). A candidate is latent when the **lower** 95% bound of its mean mass reaches 0.05 at
some window layer, and its peak mean is at least half the strongest candidate's; two such
languages make a dual latent. Every call carries a ``reason`` that says which rule decided it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

Z95 = 1.959963984540054

# A language carries "substantial" mid-stack mass when the lower 95% bound of its mean reaches
# this in the window, and its peak mean is at least RELATIVE of the strongest candidate's.
SUBSTANTIAL = 0.05
RELATIVE = 0.5

# The shared bucket is "large" when its peak mean mass reaches this: the report then warns that
# the measured languages cannot be told apart on a visible part of the curve.
SHARED_WARN = 0.05


def mean_interval(values: np.ndarray) -> tuple[float, float, float, int]:
    """Mean and normal 95% interval over axis 0 of a 1-D sample of prompts (Wendler et al.
    plot this; prompts of one pair are close to independent draws of concepts)."""
    n = int(values.shape[0])
    mean = float(values.mean()) if n else math.nan
    if n < 2:
        return mean, mean, mean, n
    half = Z95 * float(values.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half, n


def pair_interval(pair_means: np.ndarray) -> tuple[float, float, float, int]:
    """Mean of per-pair means and its 95% Student-t interval over pairs.

    Across pairs, prompts are not independent: all prompts of fra→zho share one source, one
    target and one script gap, so pooling them as one sample understates the uncertainty of a
    cross-pair average. Treating each pair's mean as one observation keeps the between-pair
    variance in the interval (with few pairs, t's wide quantiles say how little that is). One
    pair gives no interval (lower = upper = mean)."""
    from scipy import stats as scipy_stats  # lazy: keeps `import babelscope` light

    n = int(pair_means.shape[0])
    mean = float(pair_means.mean()) if n else math.nan
    if n < 2:
        return mean, mean, mean, n
    half = float(scipy_stats.t.ppf(0.975, n - 1)) * float(pair_means.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half, n


def crossover_layer(
    layers: Sequence[int], means: Mapping[str, np.ndarray], target: str
) -> int | None:
    """First layer from which the target's mean leads every other series in ``means`` and is
    ≥ :data:`SUBSTANTIAL` (two near-zero curves crossing mean nothing)."""
    rivals = [values for lang, values in means.items() if lang != target]
    if not rivals:
        return None
    rival = np.max(np.stack(rivals), axis=0)
    ahead = means[target] > rival
    for i in range(len(layers)):
        if ahead[i:].all() and means[target][i] >= SUBSTANTIAL:
            return int(layers[i])
    return None


def latent_window(layers: Sequence[int], n_layers: int, crossover: int | None) -> list[int]:
    """Layers in [L/4, crossover) — or [L/4, L−1] without a crossover. The first quarter is
    left out: there the lens mostly reads back the input token."""
    hi = crossover - 1 if crossover is not None else n_layers - 1
    return [layer for layer in layers if n_layers / 4 <= layer <= hi]


@dataclass(frozen=True)
class LatentCall:
    """What the curves of one (model, task, pair) say.

    ``peaks``/``peak_layers``: each candidate's highest window mean and its layer;
    ``lower_peaks``: each candidate's highest window lower bound. ``copy_peak`` is the source
    word's highest window mean (``None`` when source = target): copying, not a latent language.
    """

    latent: tuple[str, ...]  # candidates called latent, strongest first
    peaks: dict[str, float]
    lower_peaks: dict[str, float]
    peak_layers: dict[str, int]
    crossover_layer: int | None
    window: tuple[int, int] | None  # first and last window layer
    reason: str
    copy_peak: float | None = None
    copy_peak_layer: int | None = None
    candidates: tuple[str, ...] = field(default=())

    @property
    def dual(self) -> bool:
        return len(self.latent) >= 2


def call_latent(
    layers: Sequence[int],
    means: Mapping[str, np.ndarray],
    lowers: Mapping[str, np.ndarray],
    *,
    target: str,
    candidates: Sequence[str],
    n_layers: int,
    copy: str | None = None,
) -> LatentCall:
    """``means[language]``/``lowers[language]``: mean mass per layer and its lower 95% bound
    (aligned with ``layers``), for the target, each candidate and the ``copy`` language."""
    rivals = {lang: means[lang] for lang in [target, *candidates, *([copy] if copy else [])]}
    crossover = crossover_layer(layers, rivals, target)
    window = latent_window(layers, n_layers, crossover)
    idx = [i for i, layer in enumerate(layers) if layer in set(window)]
    span = (window[0], window[-1]) if window else None
    where = (
        f"window {span[0]}–{span[1]}"
        + (f", before the crossover at {crossover}" if crossover is not None else ", no crossover")
        if span
        else "empty window"
    )
    peaks = {c: float(np.max(means[c][idx])) if idx else 0.0 for c in candidates}
    lower_peaks = {c: float(np.max(lowers[c][idx])) if idx else 0.0 for c in candidates}
    peak_layers = {
        c: int(layers[idx[int(np.argmax(means[c][idx]))]]) if idx else -1 for c in candidates
    }
    copy_peak = copy_layer = None
    if copy is not None and idx:
        copy_peak = float(np.max(means[copy][idx]))
        copy_layer = int(layers[idx[int(np.argmax(means[copy][idx]))]])
    strongest = max(peaks.values(), default=0.0)
    latent = tuple(
        c
        for c in sorted(candidates, key=lambda c: -peaks[c])
        if lower_peaks[c] >= SUBSTANTIAL and peaks[c] >= RELATIVE * strongest
    )
    if not candidates:
        reason = "no call: no measured language is absent from the prompt (add --latent)"
    elif not idx:
        reason = f"no call: {where} (the target takes over before layer L/4)"
    elif latent:
        parts = [
            f"{c} lower bound {lower_peaks[c]:.3f} ≥ {SUBSTANTIAL} (mean {peaks[c]:.3f} at "
            f"{peak_layers[c]})"
            for c in latent
        ]
        reason = f"latent: {'; '.join(parts)} in {where}"
    else:
        best = max(candidates, key=lambda c: lower_peaks[c])
        top = max(candidates, key=lambda c: peaks[c])
        if lower_peaks[best] >= SUBSTANTIAL:
            reason = (
                f"no call: {best} lower bound {lower_peaks[best]:.3f} ≥ {SUBSTANTIAL} but its peak "
                f"mean {peaks[best]:.3f} is under {RELATIVE} × {top}'s {peaks[top]:.3f}, whose "
                f"lower bound {lower_peaks[top]:.3f} < {SUBSTANTIAL}, in {where}"
            )
        elif peaks[best] >= SUBSTANTIAL:
            reason = (
                f"no call: {best} peaks at mean {peaks[best]:.3f} but its lower bound "
                f"{lower_peaks[best]:.3f} < {SUBSTANTIAL} in {where}"
            )
        else:
            reason = f"no call: strongest candidate {best} peaks at {peaks[best]:.3f} in {where}"
    return LatentCall(
        latent=latent,
        peaks=peaks,
        lower_peaks=lower_peaks,
        peak_layers=peak_layers,
        crossover_layer=crossover,
        window=span,
        reason=reason,
        copy_peak=copy_peak,
        copy_peak_layer=copy_layer,
        candidates=tuple(candidates),
    )
