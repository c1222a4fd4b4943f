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
    demo = bs.demo(["smollm2-135m"], bs.DemoSettings(budget="quick"))   # `babelscope demo`
    demo.save("babelscope-runs/demo-smollm2-135m")

Every analysis the CLI runs has its function here, with typed settings and results: ``demo``,
``latent_language``, ``patch``, ``rank``, ``sib``, ``steer``, ``correlate``, ``train_tuned_lens``,
``evaluate_lens`` (``dir(babelscope)`` lists exactly the public names).

Heavy libraries (torch, transformers, pandas, matplotlib) load on first use of an attribute,
so ``import babelscope`` and ``babelscope --help`` stay instant.
"""

from __future__ import annotations

import importlib as _importlib
import sys as _sys
import types as _types
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from babelscope._version import __version__

# public name -> "module" that defines it under that name, or "module:attribute"
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
    # tuned lens: `babelscope lens train` / `lens eval`
    "TunedLens": "babelscope.lens.tuned",
    "train_tuned_lens": "babelscope.lens.train",
    "LensTrainSettings": "babelscope.lens.train",
    "evaluate_lens": "babelscope.lens.evaluate",
    "LensEvalResult": "babelscope.lens.evaluate",
    # the demo: `babelscope demo`
    "demo": "babelscope.report.demo",
    "DemoSettings": "babelscope.report.demo",
    "DemoResult": "babelscope.report.demo",
    # latent language
    "latent_language": "babelscope.analyses.latent.api",
    "Pair": "babelscope.analyses.latent.api",
    "LatentResult": "babelscope.analyses.latent.result",
    "generation_view": "babelscope.analyses.latent.generation",
    "GenerationView": "babelscope.analyses.latent.generation",
    # activation patching: `babelscope patch`
    "patch": "babelscope.analyses.patching.run:patching_experiment",
    "PatchSetup": "babelscope.analyses.patching.pairs",
    "PatchingResult": "babelscope.analyses.patching.result",
    # ranking
    "rank": "babelscope.analyses.ranking.pipeline",
    "RankSettings": "babelscope.analyses.ranking.settings",
    "RankResult": "babelscope.analyses.ranking.result",
    # SIB-200 topic classification, and its correlation with the ranking
    "sib": "babelscope.analyses.sib.pipeline",
    "SibSettings": "babelscope.analyses.sib.settings",
    "SibResult": "babelscope.analyses.sib.result",
    "correlate": "babelscope.analyses.sib.correlation",
    "CorrelateResult": "babelscope.analyses.sib.correlation",
    # steering: `babelscope steer`
    "steer": "babelscope.analyses.steering.api",
    "SteerSettings": "babelscope.analyses.steering.api",
    "SteerResult": "babelscope.analyses.steering.result",
    # data
    "FloresDataset": "babelscope.data.flores",
    "Sib200Dataset": "babelscope.data.sib",
    "parse_data_spec": "babelscope.data.spec",
    "BabelscopeError": "babelscope.errors",
}

if _TYPE_CHECKING:
    from babelscope.analyses.latent.api import Pair, latent_language
    from babelscope.analyses.latent.generation import GenerationView, generation_view
    from babelscope.analyses.latent.result import LatentResult
    from babelscope.analyses.patching.pairs import PatchSetup
    from babelscope.analyses.patching.result import PatchingResult
    from babelscope.analyses.patching.run import patching_experiment as patch
    from babelscope.analyses.ranking.pipeline import rank
    from babelscope.analyses.ranking.result import RankResult
    from babelscope.analyses.ranking.settings import RankSettings
    from babelscope.analyses.sib.correlation import CorrelateResult, correlate
    from babelscope.analyses.sib.pipeline import sib
    from babelscope.analyses.sib.result import SibResult
    from babelscope.analyses.sib.settings import SibSettings
    from babelscope.analyses.steering.api import SteerSettings, steer
    from babelscope.analyses.steering.result import SteerResult
    from babelscope.capture.api import CaptureOptions, CaptureResult, capture
    from babelscope.capture.sites import Site
    from babelscope.data.flores import FloresDataset
    from babelscope.data.sib import Sib200Dataset
    from babelscope.data.spec import parse_data_spec
    from babelscope.errors import BabelscopeError
    from babelscope.lens.evaluate import LensEvalResult, evaluate_lens
    from babelscope.lens.logit_lens import LogitLens, top_tokens
    from babelscope.lens.train import LensTrainSettings, train_tuned_lens
    from babelscope.lens.tuned import TunedLens
    from babelscope.models.handle import ModelHandle
    from babelscope.models.loader import load_model, wrap_model
    from babelscope.report.demo import DemoResult, DemoSettings, demo

__all__ = [
    "BabelscopeError",
    "CaptureOptions",
    "CaptureResult",
    "CorrelateResult",
    "DemoResult",
    "DemoSettings",
    "FloresDataset",
    "GenerationView",
    "LatentResult",
    "LensEvalResult",
    "LensTrainSettings",
    "LogitLens",
    "ModelHandle",
    "Pair",
    "PatchSetup",
    "PatchingResult",
    "RankResult",
    "RankSettings",
    "Sib200Dataset",
    "SibResult",
    "SibSettings",
    "Site",
    "SteerResult",
    "SteerSettings",
    "TunedLens",
    "__version__",
    "capture",
    "correlate",
    "demo",
    "evaluate_lens",
    "generation_view",
    "latent_language",
    "load_model",
    "parse_data_spec",
    "patch",
    "rank",
    "sib",
    "steer",
    "top_tokens",
    "train_tuned_lens",
    "wrap_model",
]


def __getattr__(name: str) -> _Any:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'babelscope' has no attribute {name!r}")
    module, _, attribute = where.partition(":")
    return getattr(_importlib.import_module(module), attribute or name)


def __dir__() -> list[str]:
    """The public API only (no imports or helpers of this module)."""
    return sorted(__all__)


class _Facade(_types.ModuleType):
    """``babelscope.capture`` is the function even after the subpackage of the same name is
    imported: the import system then sets the package as an attribute of its parent, and the
    second ``bs.capture(...)`` of a notebook would call a module. A data descriptor on the
    module's class wins over that attribute. (The package itself stays importable with
    ``from babelscope.capture import …``.)"""

    @property
    def capture(self) -> _Any:
        return _importlib.import_module(_LAZY["capture"]).capture

    @capture.setter
    def capture(self, value: _Any) -> None:
        if not isinstance(value, _types.ModuleType):  # only the import system sets it
            raise AttributeError("babelscope.capture is read-only")


_sys.modules[__name__].__class__ = _Facade
