"""The tuned lens (Belrose et al. 2023): one affine translator per layer before the model's own
final norm and unembedding.

Layer ``l``'s state is decoded as ``unembed(norm(h + A_l h + b_l))``. ``A_l`` and ``b_l`` start at
zero, so an untrained tuned lens *is* the logit lens (tested), and the last layer has no
translator at all: its state already feeds the model's head, so decoding it must reproduce the
model's logits (as tuned-lens does, ``tuned_lens/nn/lenses.py``).

A lens belongs to one model: its folder records the model's content hash, and loading it onto
another model is refused. Weights are safetensors; provenance and training settings are in
``manifest.json`` (written last, so a half-written folder never loads).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from babelscope._version import __version__
from babelscope.atomic import atomic_write_bytes, atomic_write_text
from babelscope.errors import ConfigError, DataError
from babelscope.lens.base import Lens
from babelscope.lens.unembed import Unembed

if TYPE_CHECKING:
    from babelscope.models.handle import ModelHandle

WEIGHTS = "translators.safetensors"
MANIFEST = "manifest.json"
KIND = "tuned-lens"


class TunedLens(Lens):
    """``hidden[..., D]`` at layer ``l`` → ``logits[..., V]`` through the layer's translator
    and the one shared :class:`~babelscope.lens.unembed.Unembed`.

    ``translators[l]`` exists for layers ``0..n_layers-1``; layer ``n_layers`` decodes as the
    logit lens. Only the translators are parameters; the unembedding stays the model's own
    (frozen, never copied into the saved folder).
    """

    def __init__(self, handle: ModelHandle) -> None:
        super().__init__()
        width = handle.hidden_size
        self.n_layers = handle.n_layers
        self.model_hash = handle.model_hash
        self.head_fingerprint = head_fingerprint(handle)
        linears = [nn.Linear(width, width) for _ in range(self.n_layers)]
        for linear in linears:
            nn.init.zeros_(linear.weight)
            nn.init.zeros_(linear.bias)
        self.translators = nn.ModuleList(linears)
        self.to(device=handle.device, dtype=torch.float32)
        # Not a submodule: its parameters are the model's and must not be trained or saved.
        object.__setattr__(self, "unembed", Unembed(handle))
        self.provenance: dict[str, Any] = {}

    def transform_hidden(self, hidden: torch.Tensor, layer: int) -> torch.Tensor:
        return self.translate(hidden, layer)

    def translate(self, hidden: torch.Tensor, layer: int) -> torch.Tensor:
        """``h + A_l h + b_l`` (float32 inside; returned in ``hidden``'s dtype)."""
        self._check_layer(layer)
        if layer == self.n_layers:
            return hidden
        translator = self.translators[layer]
        out: torch.Tensor = hidden.float() + translator(hidden.float())
        return out.to(hidden.dtype)

    def _check_layer(self, layer: int) -> None:
        if not 0 <= layer <= self.n_layers:
            raise ConfigError(
                f"layer {layer} is outside 0..{self.n_layers}", fix="pick a layer of this model"
            )

    # ---- artefact ----------------------------------------------------------------------
    def state_tensors(self) -> dict[str, torch.Tensor]:
        """The translators as flat named CPU tensors (what the safetensors file holds)."""
        return {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()}

    def save(self, path: str | Path, *, provenance: dict[str, Any] | None = None) -> Path:
        """Write ``translators.safetensors`` then ``manifest.json`` (last) into ``path``."""
        from safetensors.torch import save

        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(folder / WEIGHTS, save(self.state_tensors()))
        manifest = {
            "kind": KIND,
            "status": "complete",
            "babelscope": __version__,
            "model_hash": self.model_hash,
            "head_fingerprint": self.head_fingerprint,
            "n_layers": self.n_layers,
            "hidden_size": self.translators[0].in_features if self.n_layers else 0,
            **(provenance if provenance is not None else self.provenance),
        }
        atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
        return folder

    @classmethod
    def load(cls, path: str | Path, handle: ModelHandle) -> TunedLens:
        """Load a saved lens onto ``handle``; refused when it was trained for another model."""
        from safetensors.torch import load_file

        folder = Path(path).expanduser()
        manifest = read_manifest(folder)
        same = (
            manifest.get("model_hash") == handle.model_hash
            and manifest.get("head_fingerprint") == head_fingerprint(handle)
            and manifest.get("n_layers") == handle.n_layers
        )
        if not same:
            raise ConfigError(
                f"the tuned lens in {folder} was trained for model "
                f"{manifest.get('model', '?')} (hash {str(manifest.get('model_hash'))[:12]}), "
                f"not {handle.name} (hash {handle.model_hash[:12]})",
                fix="train a lens for this model: babelscope lens train --model "
                f"{handle.name} --data flores200:PATH",
            )
        lens = cls(handle)
        lens.load_state_dict(load_file(str(folder / WEIGHTS)))
        lens.provenance = {k: v for k, v in manifest.items() if k not in ("status",)}
        return lens


def head_fingerprint(handle: ModelHandle) -> str:
    """sha256 of the first rows of the unembedding: tells models apart even when one was
    wrapped from memory with no content hash (``model_hash="unknown"``)."""
    import hashlib

    weight: torch.Tensor = handle.unembed.weight  # type: ignore[assignment]
    rows = weight[:64].detach().float().cpu().contiguous()
    return hashlib.sha256(rows.numpy().tobytes()).hexdigest()


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a finished lens folder, or a :class:`DataError` naming the problem."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file() or not (folder / WEIGHTS).is_file():
        raise DataError(
            f"{folder} is not a tuned-lens folder (no {MANIFEST} + {WEIGHTS})",
            fix="pass the --out folder of a finished `babelscope lens train` run",
        )
    try:
        manifest: dict[str, Any] = json.loads(manifest_path.read_text())
    except ValueError as exc:
        raise DataError(f"{manifest_path} is not valid JSON", fix="retrain the lens") from exc
    if manifest.get("kind") != KIND or manifest.get("status") != "complete":
        raise DataError(
            f"{folder} holds no finished tuned lens (kind {manifest.get('kind')!r}, "
            f"status {manifest.get('status')!r})",
            fix="rerun `babelscope lens train` with the same --out to finish it",
        )
    return manifest
