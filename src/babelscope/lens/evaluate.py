"""How faithful is a lens? KL(final ‖ lens) and top-1 agreement per layer and language, on
held-out sentences, for several lenses side by side.

The KL here is always the exact full-vocabulary one (no coarsening): evaluation is what the
coarse training loss is judged by. To bound the cost on a 262k vocabulary, at most
``positions_per_language`` predicting positions are scored per language, spread evenly over its
sentences (every position of a sentence shares its context, so spreading beats taking whole
sentences).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import torch

from babelscope.lens.divergence import LN2, kl_full
from babelscope.lens.train import layer_states

if TYPE_CHECKING:
    from babelscope.models.handle import ModelHandle

# (hidden [P, D], layer) -> logits [P, V]
Decoder = Callable[[torch.Tensor, int], torch.Tensor]


def evaluate_lenses(
    handle: ModelHandle,
    texts: Mapping[str, Sequence[str]],
    decoders: Mapping[str, Decoder],
    *,
    positions_per_language: int = 24,
    sentences_per_language: int = 8,
    max_length: int = 128,
    chunk: int = 64,
    progress: bool = False,
) -> pd.DataFrame:
    """One row per language × lens × layer ``0..L``: ``kl_bits`` (mean over positions),
    ``kl_bits_sd``, ``top1_agreement`` with the final layer's top-1 token, ``n_positions``.

    ``decoders`` maps a lens name (``"logit"``, ``"tuned"``) to ``decode(hidden, layer)``.
    Only the first ``sentences_per_language`` sentences of each language are run (the scored
    positions are spread over them): a forward of every held-out sentence would cost more than
    the scoring it feeds.
    """
    rows = []
    languages = list(texts)
    iterator: Iterable[str] = languages
    if progress:
        from tqdm import tqdm

        iterator = tqdm(languages, desc="lens eval", unit="lang", leave=False)
    for lang in iterator:
        chosen = list(texts[lang])[:sentences_per_language]
        states, _ = layer_states(handle, chosen, max_length=max_length)
        n = int(states[0].shape[0])
        keep = _spread(n, positions_per_language)
        picked = [layer[keep] for layer in states]
        with torch.no_grad():
            final_decoder = next(iter(decoders.values()))
            final = torch.cat(
                [
                    torch.log_softmax(final_decoder(part, len(picked) - 1).float(), dim=-1)
                    for part in picked[-1].split(chunk)
                ]
            )
            final_top = final.argmax(-1)
            for name, decode in decoders.items():
                for layer, hidden in enumerate(picked):
                    kls, agree = [], []
                    for start in range(0, hidden.shape[0], chunk):
                        logits = decode(hidden[start : start + chunk], layer)
                        kls.append(kl_full(final[start : start + chunk], logits))
                        agree.append(logits.argmax(-1) == final_top[start : start + chunk])
                    kl = torch.cat(kls) / LN2
                    rows.append(
                        {
                            "language": lang,
                            "lens": name,
                            "layer": layer,
                            "kl_bits": float(kl.mean()),
                            "kl_bits_sd": float(kl.std()) if kl.numel() > 1 else 0.0,
                            "top1_agreement": float(torch.cat(agree).float().mean()),
                            "n_positions": int(kl.numel()),
                        }
                    )
    return pd.DataFrame(rows)


def _spread(n: int, k: int) -> torch.Tensor:
    """``min(n, k)`` indices spread evenly over ``range(n)``."""
    if k >= n:
        return torch.arange(n)
    picked: torch.Tensor = torch.linspace(0, n - 1, k).round().long().unique()
    return picked


def compare_to_logit(frame: pd.DataFrame, lens: str = "tuned") -> pd.DataFrame:
    """Per language: the share of layers ``1..L−1`` where ``lens`` has a lower KL than the logit
    lens, and whether it is lower at every one of them (the acceptance check)."""
    pivot = frame.pivot_table(index=["language", "layer"], columns="lens", values="kl_bits")
    layers = pivot.index.get_level_values("layer")
    inner = pivot[(layers >= 1) & (layers < layers.max())]
    better = (inner[lens] < inner["logit"]).groupby(level="language")
    out = pd.DataFrame({"share_better": better.mean(), "all_better": better.all()})
    return out.reset_index()


@dataclass
class LensEvalResult:
    """``frame``: one row per language × lens (``logit``, ``tuned``) × layer
    (:func:`evaluate_lenses`); ``verdict``: per language, :func:`compare_to_logit`;
    ``held_out_every``: the sentence ids scored (``i % every == 0``)."""

    frame: pd.DataFrame
    verdict: pd.DataFrame
    held_out_every: int

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()


def evaluate_lens(
    handle: ModelHandle,
    lens: str | Path,
    texts: Mapping[str, Sequence[str]],
    *,
    split: str = "dev",
    positions: int = 24,
    sentences: int = 8,
    progress: bool = False,
) -> LensEvalResult:
    """Score the tuned lens in folder ``lens`` (from ``lens train``) against the logit lens on
    the sentences of ``texts`` (``{language: FLORES sentences of split}``) it never trained on:
    the ids its manifest reserved, or every sentence when ``split`` is not the one it trained on.
    ``positions``/``sentences``: scored positions and sentences run per language."""
    from babelscope.errors import ConfigError
    from babelscope.lens.logit_lens import LogitLens
    from babelscope.lens.training_data import HeldOut
    from babelscope.lens.tuned import TunedLens, read_manifest

    if positions < 1 or sentences < 1:
        raise ConfigError("--positions and --sentences must be ≥ 1", fix="use 24 and 8")
    folder = Path(lens).expanduser()
    manifest = read_manifest(folder)
    held = HeldOut(int(manifest.get("settings", {}).get("holdout_every", 5)))
    if manifest.get("split", split) != split:
        held = HeldOut(1)  # another split was never trained on: every sentence is held out
    tuned = TunedLens.load(folder, handle)
    n = min(len(rows) for rows in texts.values())
    eval_texts = {lang: [rows[i] for i in held.eval_ids(n)] for lang, rows in texts.items()}
    frame = evaluate_lenses(
        handle, eval_texts, {"logit": LogitLens(handle), "tuned": tuned},
        positions_per_language=positions, sentences_per_language=sentences, progress=progress,
    )  # fmt: skip
    return LensEvalResult(frame, compare_to_logit(frame), held.every)
