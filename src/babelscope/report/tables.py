"""A pandas frame as an HTML table that reads: column kinds, formatted numbers, language names.

``DataFrame.to_html`` is not used on purpose: its ``escape`` flag does not cover every path
(formatters, index names), it emits inline styles we do not want, and it gives no control over
how a token such as ``" the"`` or ``"\\n"`` is shown. Here each column gets a *kind* that
decides its CSS (``report.css``: words never break inside, each kind has a minimum width):

- ``num``: right-aligned, never wrapped, formatted by meaning (:func:`format_number`);
- ``code``: short strings without spaces (language codes, methods, hashes), never wrapped;
  FLORES codes get the language's English name beneath (:mod:`babelscope.languages`);
- ``text``: prose (cells with spaces, some long), wrapped between words; a cell longer than
  :data:`COLLAPSE_AT` characters is collapsed into a ``<details>`` with its start as summary;
- ``str``: tokens and other short strings, monospace, spaces kept (``" the"``), control
  characters shown as escapes.

Every header and cell is escaped by the template (:mod:`babelscope.report.templating`).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from markupsafe import Markup

from babelscope.report.templating import render
from babelscope.report.text import clean

__all__ = ["COLLAPSE_AT", "TableSnapshot", "format_cell", "format_number", "render_table"]

#: Text cells longer than this many characters are collapsed (full text on click).
COLLAPSE_AT = 120
_SUMMARY_CHARS = 70
_CODE_MAX = 32  # a "code" column's strings are at most this long
_FLORES = re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}$")
_SMALL, _LARGE = 1e-3, 1e6  # outside these magnitudes scientific notation helps


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return math.isnan(float(value))
    return False


def _label(key: Hashable) -> str:
    """Column or index label; MultiIndex tuples are joined so nothing is lost."""
    if isinstance(key, tuple):
        return " / ".join(str(part) for part in key)
    return str(key)


def _no_negative_zero(text: str) -> str:
    """``-0.00`` (a tiny negative rounded away) reads as a sign that means nothing."""
    if text.startswith("-") and not any(ch in "123456789" for ch in text.split("e", maxsplit=1)[0]):
        return text[1:]
    return text


def _is_probability_like(values: np.ndarray) -> bool:
    return bool(values.size) and bool(np.all((values >= -1.0) & (values <= 1.0)))


def format_number(value: float, column: np.ndarray | None = None) -> str:
    """A float by what it means, judged from its whole ``column`` (finite values):

    - a column of whole numbers (an integer column that holds NaN) prints as integers;
    - a column within [-1, 1] (probabilities, correlations, shares) prints 3 decimals, a
      non-zero value that would round to 0 as ``<0.001`` (``>-0.001``);
    - otherwise 4 significant digits without an exponent, and scientific notation only where
      the magnitude is below 10⁻³ or from 10⁶ on;
    - never ``-0.000``.
    """
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    finite = column if column is not None else np.array([value])
    if finite.size and np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 1e15):
        return f"{round(value):d}"
    if _is_probability_like(finite):
        text = _no_negative_zero(f"{value:.3f}")
        if value != 0 and float(text) == 0:
            return "<0.001" if value > 0 else ">-0.001"
        return text
    magnitude = abs(value)
    if magnitude and (magnitude < _SMALL or magnitude >= _LARGE):
        return _no_negative_zero(f"{value:.2e}")
    decimals = max(0, 3 - math.floor(math.log10(magnitude))) if magnitude else 0
    return _no_negative_zero(f"{value:.{min(decimals, 3)}f}")


@dataclass(frozen=True)
class Cell:
    """What the template prints for one cell: its kind, text and optional extras."""

    kind: str
    text: str
    note: str | None = None  # a language's name under its code
    collapsed: bool = False  # a long text shown as <details>
    summary: str = ""


def format_cell(value: object, float_format: str | None = None) -> tuple[str, str]:  # noqa: PLR0911
    """``(css_class, text)`` of one cell on its own (the text is not yet escaped)."""
    if _is_missing(value):
        return "na", "—"
    if isinstance(value, (bool, np.bool_)):
        return "bool", str(bool(value))
    if isinstance(value, numbers.Integral):
        return "num", str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        if float_format is None:
            return "num", format_number(number)
        return "num", _no_negative_zero(float_format.format(number))
    if isinstance(value, bytes):
        return "str", repr(value)
    return "str", clean(value, visible_whitespace=True)


@cache
def language_name(code: str) -> str | None:
    """The English name of a FLORES code (``fra_Latn`` → French), ``None`` if it is none."""
    if not _FLORES.match(code):
        return None
    from babelscope.languages.registry import find_language

    found = find_language(code, strict_script=True)
    return found.name if found is not None and found.code == code else None


def _column_kind(values: pd.Series) -> str:
    """``num``, ``bool``, ``code``, ``text`` or ``str`` for one column (see the module doc)."""
    present = [v for v in values if not _is_missing(v)]
    if pd.api.types.is_bool_dtype(values.dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(values.dtype):
        return "num"
    strings = [v for v in present if isinstance(v, str)]
    if not strings or len(strings) < len(present):
        return "str"
    if all(len(s) <= _CODE_MAX and s.strip() == s and not re.search(r"\s", s) for s in strings):
        return "code"
    words = sum(len(s.split()) for s in strings) / len(strings)
    if words >= 3 or max(len(s) for s in strings) > 40:
        return "text"
    return "str"


def _cells(values: pd.Series, float_format: str | None) -> tuple[str, list[Cell]]:
    kind = _column_kind(values)
    column: np.ndarray | None = None
    if kind == "num" and float_format is None:
        numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        column = numeric[np.isfinite(numeric)]
    cells: list[Cell] = []
    for value in values:
        css, text = format_cell(value, float_format)
        if css == "num" and column is not None and not isinstance(value, numbers.Integral):
            text = format_number(float(value), column)  # type: ignore[arg-type]
        if css == "na" or css != "str":
            cells.append(Cell(css, text))
        elif kind == "code":
            cells.append(Cell("code", text, note=language_name(text)))
        elif kind == "text" and len(text) > COLLAPSE_AT:
            cut = text[:_SUMMARY_CHARS].rsplit(" ", 1)[0]
            cells.append(Cell("text", text, collapsed=True, summary=f"{cut} …"))
        else:
            cells.append(Cell(kind, text))
    return kind, cells


@dataclass(frozen=True)
class TableSnapshot:
    """The rows to show, copied when added so later edits to the frame do not leak in."""

    frame: pd.DataFrame
    total_rows: int
    index: bool

    @classmethod
    def of(cls, frame: pd.DataFrame, *, max_rows: int | None, index: bool) -> TableSnapshot:
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"add_table expects a pandas DataFrame, got {type(frame).__name__}")
        shown = frame if max_rows is None else frame.head(max_rows)
        return cls(frame=shown.copy(), total_rows=len(frame), index=index)


def render_table(snapshot: TableSnapshot, float_format: str | None = None) -> Markup:
    """The ``<table>`` element (inside a scrolling wrapper) for a snapshot."""
    frame = snapshot.frame
    index_names: Sequence[Hashable] = frame.index.names if snapshot.index else []
    index_rows = [
        [clean(part) for part in (key if isinstance(key, tuple) else (key,))] for key in frame.index
    ]
    kinds: list[str] = []
    columns: list[list[Cell]] = []
    for position in range(frame.shape[1]):
        kind, cells = _cells(frame.iloc[:, position], float_format)
        kinds.append(kind)
        columns.append(cells)
    rows = [[column[i] for column in columns] for i in range(len(frame))]
    return render(
        "table.html.j2",
        index_headers=["" if n is None else _label(n) for n in index_names],
        headers=[_label(c) for c in frame.columns],
        kinds=kinds,
        index_rows=index_rows if snapshot.index else [[] for _ in range(len(frame))],
        rows=rows,
    )
