"""babelscope: which language does a causal LM think in?

Heavy libraries (torch, transformers) load on first use of an attribute, so ``import
babelscope`` and ``babelscope --help`` stay instant.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from babelscope._version import __version__

# public name -> module that defines it
_LAZY = {
    "load_model": "babelscope.models.loader",
    "wrap_model": "babelscope.models.loader",
    "ModelHandle": "babelscope.models.handle",
    "Site": "babelscope.capture.sites",
    "capture": "babelscope.capture.api",
    "LogitLens": "babelscope.lens.logit_lens",
    "BabelscopeError": "babelscope.errors",
}

if TYPE_CHECKING:
    from babelscope.capture.api import capture
    from babelscope.capture.sites import Site
    from babelscope.errors import BabelscopeError
    from babelscope.lens.logit_lens import LogitLens
    from babelscope.models.handle import ModelHandle
    from babelscope.models.loader import load_model, wrap_model

__all__ = [
    "BabelscopeError",
    "LogitLens",
    "ModelHandle",
    "Site",
    "__version__",
    "capture",
    "load_model",
    "wrap_model",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'babelscope' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
