"""The steering methods by name: the one module that knows every implementation.

scikit-learn's and sentence-transformers' shape: :mod:`~babelscope.analyses.steering.method` is
the interface and knows no method; each method (:mod:`~babelscope.analyses.steering.diffmean`,
:mod:`~babelscope.analyses.steering.gact`, :mod:`~babelscope.analyses.steering.lape`) and each
steerer (:mod:`~babelscope.analyses.steering.vector`, LAPE's neurons) knows only that interface;
this module maps names to them — for fitting (:func:`method_for`) and for rebuilding a saved
artefact (:func:`load_steerer`). A new method is one class and one line here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from babelscope.analyses.steering.artefact import REFIT, read_artefact
from babelscope.analyses.steering.diffmean import DiffMean
from babelscope.analyses.steering.gact import GAct
from babelscope.analyses.steering.lape import Lape, NeuronSteerer
from babelscope.analyses.steering.vector import VectorSteerer
from babelscope.errors import ConfigError, DataError

if TYPE_CHECKING:
    from babelscope.analyses.steering.method import Steerer, SteeringMethod
    from babelscope.models.handle import ModelHandle

METHODS = ("diffmean", "diffmean_en", "lape", "gact")


def method_for(name: str, **settings: Any) -> SteeringMethod:
    """The method called ``name`` with ``settings`` (one-line error for unknown names/keys)."""
    key = name.strip().lower().replace("-", "_")
    makers: dict[str, Any] = {
        "diffmean": DiffMean,
        "diffmean_en": lambda **kw: DiffMean(against="pivot", **kw),
        "lape": Lape,
        "gact": GAct,
    }
    if key not in makers:
        raise ConfigError(
            f"unknown steering method {name!r}", fix=f"use one of {', '.join(METHODS)}"
        )
    try:
        method: SteeringMethod = makers[key](**settings)
    except TypeError as exc:
        raise ConfigError(
            f"bad settings for {key}: {exc}", fix="check the setting names of that method"
        ) from exc
    return method


def steerer_class(method: str) -> type[Steerer]:
    """The steerer class a method's artefacts rebuild into."""
    if method == "lape":
        return NeuronSteerer
    if method in ("diffmean", "diffmean_en", "gact"):
        return VectorSteerer
    raise DataError(f"unknown steering method {method!r} in the artefact", fix=REFIT)


def load_steerer(folder: str | Path, handle: ModelHandle) -> Steerer:
    """The steerer saved in ``folder``, for ``handle``'s model; refused (one line naming the
    fix) when it was fitted on another model, or when its files are not what it recorded."""
    saved = read_artefact(folder, handle)
    return steerer_class(saved.method).rebuild(
        saved.method, saved.target, saved.tensors, saved.settings, saved.provenance
    )
