"""Render a pandas frame as an escaped HTML table.

``DataFrame.to_html`` is not used on purpose: its ``escape`` flag does not cover every path
(formatters, index names), it emits inline styles we do not want, and it gives no control over
how a token such as ``" the"`` or ``"\\n"`` is shown. Here every header and cell goes through
:func:`~babelscope.report._markup.escape`, string cells keep their leading/trailing spaces
(``white-space: pre-wrap``) and show control characters as backslash escapes, and string
cells get ``dir="auto"`` so right-to-left tokens display correctly.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from babelscope.report._markup import escape


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


def format_cell(value: object, float_format: str = "{:.4g}") -> tuple[str, str]:
    """Return ``(css_class, escaped_text)`` for one cell value."""
    if _is_missing(value):
        return "na", "—"
    if isinstance(value, (bool, np.bool_)):
        return "bool", escape(value)
    if isinstance(value, numbers.Integral):
        return "num", escape(int(value))
    if isinstance(value, numbers.Real):
        return "num", escape(float_format.format(float(value)))
    if isinstance(value, bytes):
        return "str", escape(repr(value))
    return "str", escape(value, visible_whitespace=True)


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


def _header(snapshot: TableSnapshot) -> str:
    cells: list[str] = []
    if snapshot.index:
        names: Sequence[Hashable] = snapshot.frame.index.names
        cells.extend(
            f'<th scope="col">{escape("" if n is None else _label(n))}</th>' for n in names
        )
    for position, column in enumerate(snapshot.frame.columns):
        dtype = snapshot.frame.dtypes.iloc[position]
        numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        css = ' class="num"' if numeric else ""
        cells.append(f'<th scope="col"{css}>{escape(_label(column))}</th>')
    return f"<thead><tr>{''.join(cells)}</tr></thead>"


def render_table(snapshot: TableSnapshot, float_format: str = "{:.4g}") -> str:
    """The ``<table>`` element (inside a scrolling wrapper) for a snapshot."""
    body: list[str] = []
    frame = snapshot.frame
    for key, row in zip(frame.index, frame.itertuples(index=False, name=None), strict=True):
        cells: list[str] = []
        if snapshot.index:
            parts = key if isinstance(key, tuple) else (key,)
            cells.extend(f'<th scope="row">{escape(part)}</th>' for part in parts)
        for value in row:
            css, text = format_cell(value, float_format)
            direction = ' dir="auto"' if css == "str" else ""
            cells.append(f'<td class="{css}"{direction}>{text}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        '<div class="table-wrap"><table>'
        f"{_header(snapshot)}<tbody>{''.join(body)}</tbody>"
        "</table></div>"
    )
