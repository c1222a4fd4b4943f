"""Fonts for tokens and language names in ~200 languages, registered explicitly.

matplotlib builds its font list once (its on-disk cache) and never rescans, so Noto fonts
installed after its first run (``make fonts``) stay invisible and CJK tokens come out as boxes
(TRAPS.md). :func:`font_families` registers the system's Noto Sans files the cache lacks;
:func:`styled` draws a plotting function under those fonts without touching global rcParams.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")


@functools.cache
def font_families() -> tuple[str, ...]:
    """DejaVu Sans, then every installed Noto Sans family as a per-glyph fallback.

    Tokens and language names come in ~200 languages; DejaVu alone draws CJK, Devanagari,
    Ethiopic … as empty boxes. Only installed families are listed (naming a missing one makes
    matplotlib warn); install e.g. Debian's fonts-noto-core and fonts-noto-cjk for coverage.
    """
    from matplotlib import font_manager

    # matplotlib caches its font list on first use and never rescans: fonts installed later
    # (`make fonts` after any earlier matplotlib run) would be invisible, and CJK tokens drawn
    # as boxes. Register system Noto Sans files the cache lacks (a few ms).
    known = {font.fname for font in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        name = Path(path).name
        if path not in known and name.startswith("NotoSans") and "Mono" not in name:
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                font_manager.fontManager.addfont(path)
    installed = {font.name for font in font_manager.fontManager.ttflist}
    noto = sorted(n for n in installed if n.startswith("Noto Sans") and "Mono" not in n)
    return ("DejaVu Sans", *noto)


def styled(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run a plotting function with the report's fonts; matplotlib's global rcParams stay as is."""

    @functools.wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        import matplotlib as mpl

        with mpl.rc_context({"font.family": list(font_families())}):
            return function(*args, **kwargs)

    return wrapper
