"""Turn what the user typed (alias, hub id, directory, .gguf file) into a model source."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from babelscope.errors import ModelNotFoundError
from babelscope.models.bundled import BUNDLED

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+(@[\w./-]+)?$")

SourceKind = Literal["bundled", "gguf", "local", "hub"]


@dataclass(frozen=True)
class ModelSource:
    kind: SourceKind
    value: str  # alias, file path, directory or hub id
    revision: str | None = None


def parse_model_spec(spec: str) -> ModelSource:
    """Classify ``spec``; raises :class:`ModelNotFoundError` with the fix for anything else."""
    text = spec.strip()
    if not text:
        raise ModelNotFoundError("empty model spec", fix=_known())
    if text in BUNDLED:
        return ModelSource("bundled", text)
    path = Path(text).expanduser()
    if text.lower().endswith(".gguf"):
        if not path.is_file():
            raise ModelNotFoundError(f"GGUF file not found: {text}", fix="check the path")
        return ModelSource("gguf", str(path.resolve()))
    if path.is_dir():
        ggufs = sorted(path.glob("*.gguf"))
        if (path / "config.json").is_file():
            return ModelSource("local", str(path.resolve()))
        if len(ggufs) == 1:
            return ModelSource("gguf", str(ggufs[0].resolve()))
        raise ModelNotFoundError(
            f"{text} has no config.json" + (f" and {len(ggufs)} GGUF files" if ggufs else ""),
            fix="point at a Hugging Face model folder or a single .gguf file",
        )
    if path.exists() or text.startswith((".", "/", "~")):
        raise ModelNotFoundError(f"not a model folder or .gguf file: {text}", fix=_known())
    if _HUB_ID.match(text):
        name, _, revision = text.partition("@")
        return ModelSource("hub", name, revision or None)
    raise ModelNotFoundError(f"unknown model {text!r}", fix=_known())


def _known() -> str:
    aliases = ", ".join(BUNDLED)
    return f"use a bundled alias ({aliases}), a hub id org/name[@revision], a folder or a .gguf"
