"""A colour per category for one figure, for analyses that colour their own plots.

Kept apart from :mod:`babelscope.plotting.colors` (the fixed meanings, a leaf that imports
nothing) because it needs the qualitative pool of :mod:`babelscope.plotting._style`, which
itself reads the fixed meanings: one module above both keeps the package a DAG.
"""

from __future__ import annotations

from collections.abc import Hashable

from babelscope.plotting._style import category_colors


def palette_for(categories: list[Hashable] | tuple[Hashable, ...]) -> dict[Hashable, str]:
    """A colour per category: the colour a category means everywhere (roles, methods, scripts)
    first, the rest from a qualitative pool no fixed colour of this figure already uses."""
    return category_colors(categories)
