"""Moving a model between languages: steering vectors and neurons fitted from parallel text
(DiffMean, LAPE, G-ACT) behind one interface, saved as artefacts, exportable to lm-eval."""

from __future__ import annotations

from babelscope.analyses.steering.artefact import save_steerer
from babelscope.analyses.steering.diffmean import DiffMean
from babelscope.analyses.steering.gact import GAct
from babelscope.analyses.steering.lape import Lape, NeuronSteerer
from babelscope.analyses.steering.lm_eval_export import export_lm_eval
from babelscope.analyses.steering.method import Steerer, SteeringMethod
from babelscope.analyses.steering.registry import METHODS, load_steerer, method_for
from babelscope.analyses.steering.vector import VectorSteerer

__all__ = [
    "METHODS",
    "DiffMean",
    "GAct",
    "Lape",
    "NeuronSteerer",
    "Steerer",
    "SteeringMethod",
    "VectorSteerer",
    "export_lm_eval",
    "load_steerer",
    "method_for",
    "save_steerer",
]
