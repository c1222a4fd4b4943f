"""Figures to bytes and files: PNG for the report, PNG/SVG/PDF on disk (atomically)."""

from __future__ import annotations

import io
import os
from pathlib import Path

from matplotlib.figure import Figure

from babelscope.atomic import atomic_write_bytes
from babelscope.plotting._style import styled

_SAVE_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


# Drawing happens here, not when the figure was built: tick labels are created lazily at draw
# time and take the fonts in effect *now*, so rasterise under the report's fonts as well
# (otherwise a CJK token on a tick comes out as a box).
@styled
def figure_to_png_bytes(figure: Figure, *, dpi: int = 150) -> bytes:
    """Rasterise a figure to PNG bytes (white background, tight bounding box)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    return buffer.getvalue()


@styled
def save_figure(figure: Figure, path: str | os.PathLike[str], *, dpi: int = 150) -> Path:
    """Save atomically as PNG, SVG or PDF (chosen by the suffix); return the path written."""
    target = Path(path)
    fmt = _SAVE_FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise ValueError(f"save_figure: use one of {sorted(_SAVE_FORMATS)}, not {target.name!r}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=dpi, bbox_inches="tight", facecolor="white")
    return atomic_write_bytes(target, buffer.getvalue())
