"""Aggregation: means with 95% intervals, latent-language detection and the crossover layer."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054

# A language carries "substantial" mid-stack mass when its peak mean probability in the
# latent window reaches this, and at least RELATIVE of the strongest one's peak.
SUBSTANTIAL = 0.05
RELATIVE = 0.5


def mean_interval(values: np.ndarray) -> tuple[float, float, float, int]:
    """Mean and normal 95% interval over axis 0 of a 1-D sample (Wendler et al. plot this)."""
    n = int(values.shape[0])
    mean = float(values.mean()) if n else math.nan
    if n < 2:
        return mean, mean, mean, n
    half = Z95 * float(values.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half, n


def middle_layers(layers: Sequence[int], n_layers: int) -> list[int]:
    """The latent window: layers in [L/4, L-1], i.e. past the first quarter (where the lens
    reads mostly the input token) and before the last block (which is the output itself).

    Wendler et al. see Llama-2's English phase in the second half, just before the target
    appears; on small models it sits in the last few blocks, so the window reaches up to L-1.
    """
    lo, hi = n_layers / 4, n_layers - 1
    return [layer for layer in layers if lo <= layer <= hi]


@dataclass(frozen=True)
class LatentCall:
    """What the curves of one (model, task, pair) say."""

    latent: tuple[str, ...]  # languages with substantial mass in the window, strongest first
    peaks: dict[str, float]  # peak mean mass of each non-target language in the window
    peak_layers: dict[str, int]  # where each peak is
    crossover_layer: int | None  # first layer from which the target leads them all, ≥ 0.05

    @property
    def dual(self) -> bool:
        return len(self.latent) >= 2


def call_latent(
    layers: Sequence[int],
    means: dict[str, np.ndarray],
    target: str,
    n_layers: int,
) -> LatentCall:
    """``means[language]`` is the mean mass per layer (aligned with ``layers``)."""
    mid = [i for i, layer in enumerate(layers) if layer in set(middle_layers(layers, n_layers))]
    others_means = {lang: values for lang, values in means.items() if lang != target}
    peaks = {lang: float(np.max(v[mid])) if mid else 0.0 for lang, v in others_means.items()}
    peak_layers = {
        lang: int(layers[mid[int(np.argmax(v[mid]))]]) if mid else -1
        for lang, v in others_means.items()
    }
    strongest = max(peaks.values(), default=0.0)
    latent = tuple(
        lang
        for lang, peak in sorted(peaks.items(), key=lambda kv: -kv[1])
        if peak >= SUBSTANTIAL and peak >= RELATIVE * strongest
    )
    crossover = None
    others = [means[lang] for lang in (latent or tuple(peaks))]
    if others:
        rival = np.max(np.stack(others), axis=0)
        ahead = means[target] > rival
        # The crossover must be a real takeover: the target leads from here on and already
        # carries substantial mass (two near-zero curves crossing mean nothing).
        for i in range(len(layers)):
            if ahead[i:].all() and means[target][i] >= SUBSTANTIAL:
                crossover = int(layers[i])
                break
    return LatentCall(
        latent=latent, peaks=peaks, peak_layers=peak_layers, crossover_layer=crossover
    )
