"""Recording and editing residual states: typed sites, one forward engine with sinks and
editors, scoped hooks, batching, pooling."""

from __future__ import annotations

from babelscope.capture.api import CaptureOptions, CaptureResult, capture, iter_capture
from babelscope.capture.edit_scope import edit
from babelscope.capture.editors import (
    AddVector,
    BlendNeurons,
    Editor,
    PatchState,
    Positions,
    ScaleNeurons,
)
from babelscope.capture.engine import (
    ForwardBatch,
    ForwardOptions,
    MlpSink,
    Sink,
    iter_forward,
    iter_sink,
)
from babelscope.capture.sinks import LastPositionSink, PoolSink
from babelscope.capture.sites import Site, resolve_layers

__all__ = [
    "AddVector",
    "BlendNeurons",
    "CaptureOptions",
    "CaptureResult",
    "Editor",
    "ForwardBatch",
    "ForwardOptions",
    "LastPositionSink",
    "MlpSink",
    "PatchState",
    "PoolSink",
    "Positions",
    "ScaleNeurons",
    "Sink",
    "Site",
    "capture",
    "edit",
    "iter_capture",
    "iter_forward",
    "iter_sink",
    "resolve_layers",
]
