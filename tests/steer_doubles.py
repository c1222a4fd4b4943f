"""Test doubles for the steering sweep: a fixed random steering vector behind the ``Steerer``
shape (the interface is analyses/steering/method.py; the real DiffMean/LAPE/G-ACT steerers sit
behind it, named by analyses/steering/registry.py), and a tiny synthetic FLORES folder (no
dataset text in the repository)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from babelscope.capture.editors import AddVector, Editor


class FixedSteerer:
    """Adds ``alpha · v`` (a seeded random vector) at the chosen layer."""

    def __init__(
        self, method: str, target: str, layers: tuple[int, ...], width: int, seed: int = 0
    ):
        self.method, self.target, self.layers = method, target, layers
        self.provenance: dict[str, Any] = {"seed": seed}
        gen = torch.Generator().manual_seed(seed)
        self.vector = torch.randn(width, generator=gen)

    def default_layer(self) -> int | None:
        return self.layers[0]

    def editors(
        self, *, layer: int | None, alpha: float, positions: Any = "generated"
    ) -> list[Editor]:
        if alpha == 0.0:
            return []
        chosen = self.default_layer() if layer is None else layer
        assert chosen is not None
        return [AddVector(chosen, self.vector, alpha=alpha, positions=positions)]


WORDS = [
    "the",
    "cat",
    "dog",
    "sat",
    "on",
    "a",
    "mat",
    "red",
    "blue",
    "big",
    "small",
    "house",
    "tree",
    "river",
    "sun",
    "moon",
]
MOTS = [
    "le",
    "la",
    "chat",
    "chien",
    "assis",
    "sur",
    "un",
    "tapis",
    "rouge",
    "bleu",
    "grand",
    "petit",
    "maison",
    "arbre",
    "soleil",
]


def tiny_flores(root: Path, n: int = 30) -> Path:
    """``root/dev/{eng_Latn,fra_Latn,hau_Latn}.dev`` with ``n`` made-up parallel lines."""
    folder = root / "dev"
    folder.mkdir(parents=True, exist_ok=True)
    for code, words in (("eng_Latn", WORDS), ("fra_Latn", MOTS), ("hau_Latn", MOTS[::-1])):
        lines = [" ".join(words[(i + k) % len(words)] for k in range(3 + i % 4)) for i in range(n)]
        (folder / f"{code}.dev").write_text("\n".join(lines) + "\n", "utf-8")
    return root
