"""babelscope: which language does a causal LM think in?

Everything a notebook needs comes from this one import::

    import babelscope as bs

    handle = bs.load_model("gemma-3-270m")
    states = bs.capture(handle, ["Bonjour le monde"], pooling="mean")
    result = bs.latent_language([handle], [bs.Pair.make("translation", "fr", "zh")])
    result.save("babelscope-runs/my-latent")            # a run folder `babelscope report` reads
    again = bs.LatentResult.load("babelscope-runs/my-latent")
    flores = bs.FloresDataset.open("flores200_dev.tar.xz")
    ranking = bs.rank(handle, flores, languages=["fra_Latn", "deu_Latn"])

Heavy libraries (torch, transformers, pandas, matplotlib) load on first use of an attribute,
so ``import babelscope`` and ``babelscope --help`` stay instant.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from babelscope._version import __version__

# public name -> module that defines it
_LAZY = {
    # models
    "load_model": "babelscope.models.loader",
    "wrap_model": "babelscope.models.loader",
    "ModelHandle": "babelscope.models.handle",
    # capture and lens
    "Site": "babelscope.capture.sites",
    "capture": "babelscope.capture.api",
    "CaptureOptions": "babelscope.capture.api",
    "CaptureResult": "babelscope.capture.api",
    "LogitLens": "babelscope.lens.logit_lens",
    "top_tokens": "babelscope.lens.logit_lens",
    # latent language
    "latent_language": "babelscope.analyses.latent.api",
    "Pair": "babelscope.analyses.latent.api",
    "LatentResult": "babelscope.analyses.latent.result",
    "generation_view": "babelscope.analyses.latent.generation",
    "GenerationView": "babelscope.analyses.latent.generation",
    # ranking
    "rank": "babelscope.analyses.ranking.pipeline",
    "RankSettings": "babelscope.analyses.ranking.settings",
    "RankResult": "babelscope.analyses.ranking.result",
    # SIB-200 topic classification
    "sib": "babelscope.analyses.sib.pipeline",
    "SibSettings": "babelscope.analyses.sib.settings",
    "SibResult": "babelscope.analyses.sib.result",
    # data
    "FloresDataset": "babelscope.data.flores",
    "Sib200Dataset": "babelscope.data.sib",
    "parse_data_spec": "babelscope.data.spec",
    "BabelscopeError": "babelscope.errors",
}

if TYPE_CHECKING:
    from babelscope.analyses.latent.api import Pair, latent_language
    from babelscope.analyses.latent.generation import GenerationView, generation_view
    from babelscope.analyses.latent.result import LatentResult
    from babelscope.analyses.ranking.pipeline import rank
    from babelscope.analyses.ranking.result import RankResult
    from babelscope.analyses.ranking.settings import RankSettings
    from babelscope.analyses.sib.pipeline import sib
    from babelscope.analyses.sib.result import SibResult
    from babelscope.analyses.sib.settings import SibSettings
    from babelscope.capture.api import CaptureOptions, CaptureResult, capture
    from babelscope.capture.sites import Site
    from babelscope.data.flores import FloresDataset
    from babelscope.data.sib import Sib200Dataset
    from babelscope.data.spec import parse_data_spec
    from babelscope.errors import BabelscopeError
    from babelscope.lens.logit_lens import LogitLens, top_tokens
    from babelscope.models.handle import ModelHandle
    from babelscope.models.loader import load_model, wrap_model

__all__ = [
    "BabelscopeError",
    "CaptureOptions",
    "CaptureResult",
    "FloresDataset",
    "GenerationView",
    "LatentResult",
    "LogitLens",
    "ModelHandle",
    "Pair",
    "RankResult",
    "RankSettings",
    "Sib200Dataset",
    "SibResult",
    "SibSettings",
    "Site",
    "__version__",
    "capture",
    "generation_view",
    "latent_language",
    "load_model",
    "parse_data_spec",
    "rank",
    "sib",
    "top_tokens",
    "wrap_model",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'babelscope' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


class _Facade(types.ModuleType):
    """``babelscope.capture`` is the function even after the subpackage of the same name is
    imported: the import system then sets the package as an attribute of its parent, and the
    second ``bs.capture(...)`` of a notebook would call a module. A data descriptor on the
    module's class wins over that attribute. (The package itself stays importable with
    ``from babelscope.capture import …``.)"""

    @property
    def capture(self) -> Any:
        return importlib.import_module(_LAZY["capture"]).capture

    @capture.setter
    def capture(self, value: Any) -> None:
        if not isinstance(value, types.ModuleType):  # only the import system sets it
            raise AttributeError("babelscope.capture is read-only")


sys.modules[__name__].__class__ = _Facade
