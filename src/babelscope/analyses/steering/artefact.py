"""Steering artefacts: one folder per fitted steerer, saved and loaded symmetrically.

The folder is a run folder of kind ``steering-vector`` (:mod:`babelscope.runs`: every file
written atomically, ``manifest.json`` last with ``status`` its last key): ``steerer.safetensors``
holds the tensors (vectors, or LAPE's neurons and target values, plus diagnostics) and the
manifest the method, target, layers, pooling, model and data hashes, languages, settings and
package version. steering-vectors' vectors carry no provenance and cannot be saved (its issue
#49); ours refuse to load onto another model, as tuned lenses do.

This module knows the :class:`~babelscope.analyses.steering.method.Steerer` interface only (the
methods record :func:`fit_provenance` through it); turning a read artefact back into a DiffMean
or LAPE steerer is :func:`~babelscope.analyses.steering.registry.load_steerer`'s, the one module
that knows every implementation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babelscope.errors import ConfigError, DataError

if TYPE_CHECKING:
    import torch

    from babelscope.analyses.steering.method import Steerer, SteeringMethod
    from babelscope.models.handle import ModelHandle

KIND = "steering-vector"
TENSORS = "steerer.safetensors"


def model_identity(handle: ModelHandle) -> dict[str, Any]:
    """What must match for a steerer to be used on ``handle``'s model."""
    from babelscope.lens.tuned import head_fingerprint
    from babelscope.models.hashing import model_digest

    return {
        "model_sha256": model_digest(handle),
        "head_fingerprint": head_fingerprint(handle),
        "n_layers": handle.n_layers,
        "hidden_size": handle.hidden_size,
    }


def fit_provenance(
    handle: ModelHandle,
    texts: Mapping[str, Sequence[str]],
    method: SteeringMethod,
    *,
    target: str,
    sentences: int,
    store: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The provenance every steerer records (JSON-ready)."""
    from babelscope.analyses.steering.activations import POOLING, POOLING_NOTE, data_digest

    pooled = method.name != "lape"
    return {
        "model": handle.name,
        **model_identity(handle),
        "data_sha256": data_digest(texts),
        "languages": list(texts),
        "target": target,
        "sentences": sentences,
        "pooling": POOLING if pooled else "none (MLP activations over every token, BOS skipped)",
        "pooling_note": POOLING_NOTE if pooled else None,
        "method_settings": method.settings(),
        "store": dict(store) if store is not None else None,
    }


REFIT = "fit it again with this babelscope version (babelscope steer ...)"


def save_steerer(steerer: Steerer, folder: str | Path) -> Path:
    """Write ``steerer`` into ``folder`` (tensors first, the manifest last); returns it."""
    from safetensors.torch import save

    from babelscope.runs import RunFolder

    out = RunFolder(folder, kind=KIND)
    data = save({k: v.detach().cpu().contiguous() for k, v in steerer.tensors().items()})
    out.write_bytes(TENSORS, data)
    prov = steerer.provenance
    out.finish(
        {
            "models": {
                str(prov.get("model", "model")): {
                    "name": prov.get("model"),
                    **{k: prov.get(k) for k in ("model_sha256", "n_layers", "hidden_size")},
                }
            },
            "data": {
                "sha256": prov.get("data_sha256"),
                "languages": prov.get("languages"),
                "sentences": prov.get("sentences"),
            },
            "settings": steerer.settings(),
            "method": steerer.method,
            "target": steerer.target,
            "layers": list(steerer.layers),
            "default_layer": steerer.default_layer(),
            "pooling": prov.get("pooling"),
            "tensors_sha256": hashlib.sha256(data).hexdigest(),
            "provenance": prov,
        }
    )
    return out.path


@dataclass(frozen=True)
class Artefact:
    """What a steering artefact holds: the arguments of its steerer class's ``rebuild``."""

    method: str
    target: str
    tensors: dict[str, torch.Tensor]
    settings: dict[str, Any]
    provenance: dict[str, Any]


def read_artefact(folder: str | Path, handle: ModelHandle) -> Artefact:
    """The artefact saved in ``folder``, for ``handle``'s model; refused (one line naming the
    fix) when it was fitted on another model, or when its files are not what it recorded."""
    from safetensors.torch import load

    from babelscope.runs import read_manifest

    path = Path(folder).expanduser()
    manifest = read_manifest(path)
    if manifest.get("kind") != KIND:
        raise DataError(
            f"{path} holds a {manifest.get('kind')!r} run, not a steering vector",
            fix="pass the folder save_steerer or babelscope steer wrote",
        )
    prov: dict[str, Any] = dict(manifest.get("provenance") or {})
    mine = model_identity(handle)
    if any(prov.get(key) != value for key, value in mine.items()):
        raise ConfigError(
            f"the steering vector in {path} was fitted on model {prov.get('model', '?')} "
            f"(hash {str(prov.get('model_sha256'))[:12]}), not {handle.name} "
            f"(hash {mine['model_sha256'][:12]})",
            fix=f"fit one for this model: babelscope steer --model {handle.name} "
            "--data flores200:PATH --target ...",
        )
    try:
        data = (path / TENSORS).read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path / TENSORS} ({exc})", fix=REFIT) from exc
    if hashlib.sha256(data).hexdigest() != manifest.get("tensors_sha256"):
        raise DataError(f"{path / TENSORS} fails its sha256 check", fix=REFIT)
    return Artefact(
        method=str(manifest["method"]),
        target=str(manifest["target"]),
        tensors=load(data),
        settings=dict(manifest.get("settings") or {}),
        provenance=prov,
    )
