"""Typed capture sites: a layer index plus a kind, with one parse/format round trip."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from babelscope.errors import ConfigError

SiteKind = Literal["resid_post"]
SITE_KINDS: tuple[str, ...] = get_args(SiteKind)


@dataclass(frozen=True, order=True)
class Site:
    """Where to read the residual stream.

    ``layer`` 0 is the input to the first block (the embeddings, after any embedding scaling or
    position embeddings); ``layer`` i ≥ 1 is the output of block i. This matches the indices of
    HF's ``output_hidden_states`` except that our last layer is the raw block output, before
    the final norm (HF already normalises its last entry).
    """

    layer: int
    kind: SiteKind = "resid_post"

    def __str__(self) -> str:
        return f"{self.kind}.{self.layer}"

    @classmethod
    def parse(cls, text: str) -> Site:
        """``"resid_post.5"`` or just ``"5"``."""
        kind, _, layer = text.strip().rpartition(".")
        kind = kind or "resid_post"
        if kind not in SITE_KINDS or not layer.lstrip("-").isdigit():
            raise ConfigError(
                f"cannot parse site {text!r}", fix=f"write KIND.LAYER with KIND in {SITE_KINDS}"
            )
        return cls(int(layer), kind)  # type: ignore[arg-type]


def resolve_layers(spec: str | int | list[int] | None, n_layers: int) -> list[int]:
    """Parse a layer selection against a model with ``n_layers`` blocks (valid: 0..n_layers).

    Accepts None/"all", an int, a list, or text like ``"0,4,8-12,-1"``; negative indices count
    from the end (-1 is the last block). Returns sorted unique indices.
    """
    top = n_layers
    if spec is None or (isinstance(spec, str) and spec.strip().lower() == "all"):
        return list(range(top + 1))
    items: list[int] = []
    if isinstance(spec, int):
        items = [spec]
    elif isinstance(spec, list):
        items = list(spec)
    else:
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            try:
                if "-" in part[1:]:
                    lo, hi = part[0] + part[1:].split("-", 1)[0], part[1:].split("-", 1)[1]
                    items.extend(range(_norm(int(lo), top), _norm(int(hi), top) + 1))
                else:
                    items.append(int(part))
            except ValueError as exc:
                raise ConfigError(
                    f"cannot parse layers {spec!r}", fix="write e.g. 0,4,8-12,-1 or all"
                ) from exc
    out = sorted({_norm(i, top) for i in items})
    bad = [i for i in out if not 0 <= i <= top]
    if bad or not out:
        raise ConfigError(
            f"layer {bad[0] if bad else spec} is out of range for a model with {n_layers} blocks",
            fix=f"use layers 0..{top} (0 = embeddings, {top} = last block) or negatives from -1",
        )
    return out


def _norm(index: int, top: int) -> int:
    return top + 1 + index if index < 0 else index
