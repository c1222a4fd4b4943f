"""Generation view: for a free prompt, greedy-generate a few tokens and show, per generated
token and per layer, the soft language distribution of the logit lens (P(language | token)
from word frequencies and Unicode script, summed over the lens distribution)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from babelscope.errors import ConfigError, DataError
from babelscope.languages.attribution import OTHER, cached_soft_attribution
from babelscope.languages.registry import resolve_language

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from babelscope.models.handle import ModelHandle
    from babelscope.runs import RunFolder


@dataclass
class GenerationView:
    """``dist[t, l, m]``: lens mass on language ``languages[m]`` (last = other) at layer
    ``layers[l]`` for the position that produced generated token ``t``."""

    model: str
    prompt: str
    tokens: list[str]
    layers: list[int]
    languages: list[str]
    dist: np.ndarray  # [T, L, M + 1]

    def to_frame(self) -> pd.DataFrame:
        """One row per generated token, layer and language (``other`` included), with the
        prompt, so that :meth:`from_frame` can rebuild the view from a saved table."""
        rows = []
        for t, token in enumerate(self.tokens):
            for li, layer in enumerate(self.layers):
                probs = self.dist[t, li]
                # Dominant among the named languages ("other" is the rest of the vocabulary:
                # punctuation, digits, unknown words); faint cells mean little mass on any.
                top = int(np.argmax(probs[:-1]))
                for m, lang in enumerate(self.languages):
                    rows.append(
                        (
                            self.model,
                            self.prompt,
                            t,
                            token,
                            layer,
                            lang,
                            float(probs[m]),
                            self.languages[top],
                            float(probs[top]),
                        )
                    )
        return pd.DataFrame(
            rows,
            columns=[
                "model",
                "prompt",
                "step",
                "token",
                "layer",
                "language",
                "prob",
                "dominant",
                "dominant_prob",
            ],
        )

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> GenerationView:
        """Rebuild a view from :meth:`to_frame`'s table (e.g. a run folder's
        ``generation_<model>.parquet``): ``dist`` from ``prob``. Tables written before the
        ``prompt`` column existed give an empty prompt; a table without ``other`` rows gets the
        rest of the mass there, ``clip(1 - sum, 0, 1)``."""
        needed = ["model", "step", "token", "layer", "language", "prob"]
        missing = [c for c in needed if c not in frame.columns]
        if missing or frame.empty:
            raise DataError(
                f"not a generation-view table (missing {missing or 'rows'})",
                fix="pass a table written from GenerationView.to_frame()",
            )
        if frame["model"].nunique() != 1:
            raise DataError(
                f"a generation-view table holds one model; this one has {frame['model'].nunique()}",
                fix="split the table by model first",
            )
        steps = frame.drop_duplicates("step").sort_values("step", kind="stable")
        layers = [int(v) for v in pd.unique(frame["layer"])]
        named = [str(v) for v in pd.unique(frame["language"]) if v != OTHER]
        has_other = bool((frame["language"] == OTHER).any())
        languages = [*named, OTHER]
        try:
            grid = frame.pivot(index=["step", "layer"], columns="language", values="prob")
        except ValueError as exc:
            raise DataError(
                f"the generation-view table repeats (step, layer, language) rows ({exc})",
                fix="pass a table written from GenerationView.to_frame()",
            ) from exc
        index = pd.MultiIndex.from_product([steps["step"].tolist(), layers])
        grid = grid.reindex(index=index, columns=languages if has_other else named)
        if grid.isna().to_numpy().any():
            raise DataError(
                "the generation-view table has missing (step, layer, language) cells",
                fix="pass a complete table written from GenerationView.to_frame()",
            )
        values = grid.to_numpy(dtype=np.float64)
        if not has_other:
            rest = np.clip(1.0 - values.sum(axis=1, keepdims=True), 0.0, 1.0)
            values = np.concatenate([values, rest], axis=1)
        prompt = str(frame["prompt"].iloc[0]) if "prompt" in frame.columns else ""
        return cls(
            model=str(frame["model"].iloc[0]),
            prompt=prompt,
            tokens=[str(t) for t in steps["token"]],
            layers=layers,
            languages=languages,
            dist=values.reshape(len(steps), len(layers), len(languages)),
        )

    def save(self, folder: RunFolder | str | Path) -> Path:
        """Write :meth:`to_frame` as ``generation_<model>.parquet`` into ``folder`` (a run
        folder, or any folder) and return the file; :meth:`load` reads it back."""
        from babelscope.runs import RunFolder, slug, write_parquet

        name = f"generation_{slug(self.model)}.parquet"
        if isinstance(folder, RunFolder):
            return folder.write_table(name, self.to_frame())
        # a plain folder may be a finished run: add the file without reopening the run
        return write_parquet(Path(folder) / name, self.to_frame())

    @classmethod
    def load(cls, path: str | Path, *, model: str | None = None) -> GenerationView:
        """A view saved by :meth:`save`: the ``.parquet`` file itself, or the folder holding it
        (name the ``model`` when the folder holds several views)."""
        from babelscope.runs import slug

        target = Path(path).expanduser()
        if target.is_dir():
            found = sorted(target.glob("generation_*.parquet"))
            if model is not None:
                found = [f for f in found if f.name == f"generation_{slug(model)}.parquet"]
            if len(found) != 1:
                raise DataError(
                    f"{target} holds {len(found)} generation views"
                    + (f" of {model}" if model else ""),
                    fix="pass the generation_<model>.parquet file, or model=",
                )
            target = found[0]
        try:
            frame = pd.read_parquet(target)
        except (OSError, ValueError) as exc:
            raise DataError(
                f"cannot read {target} ({exc})", fix="pass a folder or file from save()"
            ) from exc
        return cls.from_frame(frame)

    def plot(self) -> Figure:
        from babelscope.plotting.heatmap import plot_heatmap

        frame = self.to_frame().drop_duplicates(["step", "layer"])
        frame["column"] = [f"{s}: {t!r}" for s, t in zip(frame.step, frame.token, strict=True)]
        return plot_heatmap(
            frame,
            row="layer",
            col="column",
            value="dominant",
            alpha="dominant_prob",
            row_order=sorted(self.layers, reverse=True),
            title=f"{self.model}: dominant language per layer for each generated token",
            xlabel="generated token",
            ylabel="layer",
        )


def generation_view(
    handle: ModelHandle,
    prompt: str,
    languages: Sequence[str],
    *,
    max_new_tokens: int = 10,
) -> GenerationView:
    """Greedy generation, then one forward over prompt + generated tokens, lens at every layer."""
    if not prompt.strip():
        raise ConfigError("the generation prompt is empty", fix="pass a non-empty prompt")
    from babelscope.capture.api import capture
    from babelscope.lens.logit_lens import LogitLens

    codes = [resolve_language(code).code for code in languages]
    tok = handle.tokenizer
    enc = tok(prompt, return_tensors="pt").to(handle.device)
    with torch.no_grad():
        generated = handle.model.generate(  # type: ignore[operator]
            **enc,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tok.pad_token_id,
        )[0]
    n_prompt = enc["input_ids"].shape[1]
    new_ids = generated[n_prompt:].tolist()
    if not new_ids:
        raise ConfigError("the model generated nothing", fix="try another prompt")
    # Feed exactly the generated ids back (decode + encode would not round-trip): one engine
    # pass keeping every layer's tokens, then the lens at the positions that produced them.
    layers = list(range(handle.n_layers + 1))
    states = capture(handle, [generated.tolist()], layers=layers, pooling="none", batch_size=1)
    positions = list(range(n_prompt - 1, n_prompt - 1 + len(new_ids)))
    soft = cached_soft_attribution(tok, codes, n_rows=handle.vocab_size)
    stacked = torch.stack([states.tokens[layer][0][positions] for layer in layers], dim=1)
    with torch.no_grad():
        log_probs = LogitLens(handle).log_probs(stacked.to(handle.device))  # [T, L, V]
    probs = log_probs.exp().cpu().numpy()
    dist = soft.mass(probs)
    return GenerationView(
        model=handle.name,
        prompt=prompt,
        tokens=[str(tok.decode([i])) for i in new_ids],
        layers=layers,
        languages=[*codes, OTHER],
        dist=dist,
    )
