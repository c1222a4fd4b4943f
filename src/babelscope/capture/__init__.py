"""Recording residual states: typed sites, scoped hooks, batching, pooling."""

from __future__ import annotations

from babelscope.capture.engine import CaptureOptions, CaptureResult, capture, iter_capture
from babelscope.capture.sites import Site, resolve_layers

__all__ = ["CaptureOptions", "CaptureResult", "Site", "capture", "iter_capture", "resolve_layers"]
