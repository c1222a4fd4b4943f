"""Loading models: bundled aliases, GGUF conversion cache, architecture registry."""

from __future__ import annotations

from babelscope.models.architectures import ARCHITECTURES, ArchSpec, register_architecture

__all__ = ["ARCHITECTURES", "ArchSpec", "register_architecture"]
