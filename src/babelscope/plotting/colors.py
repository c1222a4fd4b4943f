"""One colour per meaning, for every figure of every report (defined here and nowhere else).

A reader who learns in Figure 1 that copy is orange must find copy orange in every per-pair
figure, and DiffMean the same magenta in every Pareto plot. Figures therefore never pick these
colours themselves: :func:`~babelscope.plotting._style.category_colors` looks every category
up here first, and only categories with no meaning (model names, patching series) get colours
from a qualitative pool, never one that a meaning in the same figure already uses.

- roles of a latent-language curve: target, copy, English, candidate, shared, other
  (Okabe & Ito's colour-blind-safe set);
- steering methods: the two baselines (none, prompting) and DiffMean, DiffMean-vs-English,
  LAPE, G-ACT;
- script groups: ISO 15924 codes as FLORES writes them (``Latn``, ``Cyrl`` …), ``other``
  grey as everywhere;
- lens kinds (logit, tuned).

Names are matched case-insensitively and ignoring ``-``, ``_`` and spaces, so ``G-ACT`` and
``gact`` are one method.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

__all__ = [
    "LENS_COLORS",
    "METHOD_COLORS",
    "OTHER_COLOR",
    "ROLE_COLORS",
    "SCRIPT_COLORS",
    "color_of",
    "meaning_palette",
    "palette_by_meaning",
]

OTHER_COLOR = "#9e9e9e"

ROLE_COLORS: Mapping[str, str] = {
    "target": "#0072b2",  # blue
    "copy": "#e69f00",  # orange
    "English": "#009e73",  # green
    "candidate": "#d55e00",  # vermillion
    "shared": "#cc79a7",  # reddish purple
    "other": OTHER_COLOR,
}

METHOD_COLORS: Mapping[str, str] = {
    "none": "#404040",  # the unsteered baseline: near black
    "prompting": "#a6761d",  # the prompting baseline: brown
    "DiffMean": "#e7298a",  # magenta
    "DiffMean_en": "#f4a6cf",  # DiffMean against English: light magenta
    "LAPE": "#66a61e",  # olive
    "G-ACT": "#7570b3",  # indigo
}

SCRIPT_COLORS: Mapping[str, str] = {
    "Latn": "#4c78a8",
    "Cyrl": "#f58518",
    "Arab": "#54a24b",
    "Deva": "#e45756",
    "Ethi": "#72b7b2",
    "Beng": "#eeca3b",
    "Hans": "#b279a2",
    "Hant": "#ff9da6",
    "Jpan": "#9d755d",
    "Hang": "#bab0ac",
    "Grek": "#1f77b4",
    "Hebr": "#aec7e8",
    "Thai": "#ffbb78",
    "Taml": "#98df8a",
    "Telu": "#d62728",
    "Knda": "#ff9896",
    "Mlym": "#9467bd",
    "Gujr": "#c5b0d5",
    "Guru": "#8c564b",
    "Orya": "#c49c94",
    "Sinh": "#e377c2",
    "Mymr": "#f7b6d2",
    "Khmr": "#bcbd22",
    "Laoo": "#dbdb8d",
    "Tibt": "#17becf",
    "Geor": "#9edae5",
    "Armn": "#393b79",
    "Tfng": "#637939",
    "Olck": "#8c6d31",
    "other": OTHER_COLOR,
}

LENS_COLORS: Mapping[str, str] = {"logit": "#888888", "tuned": "#1f77b4"}


def _key(name: object) -> str:
    return str(name).lower().replace("-", "").replace("_", "").replace(" ", "")


def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    # Later tables never override earlier ones: "other" is the same grey in all of them.
    for table in (ROLE_COLORS, METHOD_COLORS, SCRIPT_COLORS):
        for name, color in table.items():
            index.setdefault(_key(name), color)
    return index


_INDEX = _index()


def color_of(name: Hashable) -> str | None:
    """The colour that ``name`` (a role, method or script group) has in every figure, or
    ``None`` when it has no fixed meaning."""
    return _INDEX.get(_key(name))


def meaning_palette(names: list[Hashable] | tuple[Hashable, ...]) -> dict[Hashable, str]:
    """``{name: colour}`` for the names that have a meaning (the rest are left out)."""
    found = {name: color_of(name) for name in names}
    return {name: color for name, color in found.items() if color is not None}


def palette_by_meaning(meanings: Mapping[Hashable, Hashable]) -> dict[Hashable, str]:
    """Colours for labels that stand for a meaning (``{"fra_Latn (copy)": "copy"}``): each
    label gets its meaning's colour; a second label of the same meaning is left to the pool, so
    two candidates in one figure stay apart."""
    palette: dict[Hashable, str] = {}
    used: set[str] = set()
    for label, meaning in meanings.items():
        color = color_of(meaning)
        if color is not None and color not in used:
            palette[label] = color
            used.add(color)
    return palette
