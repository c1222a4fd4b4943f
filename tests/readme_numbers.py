"""The README's quoted numbers, tied to the tables that produce them.

A number the README quotes from a run is followed by an HTML comment (invisible when rendered)
that says where it comes from::

    copy 0.54 <!-- = 0.54 latent_roles.parquet model=gemma-3-270m role=copy layer=13
                   subset=all column=mean -->

- ``= V`` repeats the number as printed; it must also be the last number of the visible text
  before the comment (so anchor and prose cannot drift apart). Its decimals set the rounding; a
  trailing ``%`` means the table holds a fraction shown as a percentage.
- then a table file of the run folder, ``key=value`` filters (strings, or numbers for numeric
  columns), ``column=NAME``, and optionally ``agg=``: ``max``, ``min``, ``mean``, ``count``
  (rows selected), ``count_notna`` (rows where ``column`` is set), or ``argmax:COL`` /
  ``argmin:COL`` (COL of the row with the largest / smallest ``column``). Without ``agg`` the
  filters must select exactly one row.

Which command writes the run folder is said once per section by
``<!-- numbers from: babelscope demo -->``; the anchors after it (up to the next such line)
belong to it. The slow test ``tests/slow/test_readme_numbers.py`` runs that command and checks
every anchor; ``tests/unit/test_readme_numbers_check.py`` checks the syntax and that a planted
wrong number fails.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
_SOURCE = re.compile(r"<!--\s*numbers from:\s*(.+?)\s*-->", re.S)
_ANCHOR = re.compile(r"<!--\s*=\s*(\S+)\s+(.+?)\s*-->", re.S)
#: How far back from the comment the printed value must occur (the rest of its sentence).
LOOKBACK = 160


@dataclass(frozen=True)
class Anchor:
    """One quoted number: as printed, where it is, and which table cell it must equal."""

    printed: str
    table: str
    filters: tuple[tuple[str, str], ...]
    column: str
    agg: str | None
    command: str | None
    line: int
    context: str

    def __str__(self) -> str:
        where = " ".join(f"{k}={v}" for k, v in self.filters)
        return f"README.md:{self.line}: {self.printed} = {self.table}[{where}].{self.column}"


def parse_anchors(text: str) -> list[Anchor]:
    """Every anchor of a Markdown text, with the command of the section it is in."""
    events: list[tuple[int, str, re.Match[str]]] = [
        (m.start(), "source", m) for m in _SOURCE.finditer(text)
    ]
    events += [(m.start(), "anchor", m) for m in _ANCHOR.finditer(text)]
    command: str | None = None
    anchors: list[Anchor] = []
    for start, kind, match in sorted(events, key=lambda e: e[0]):
        if kind == "source":
            command = match.group(1)
            continue
        printed, rest = match.group(1), shlex.split(match.group(2))
        table, *pairs = rest
        fields: dict[str, str] = {}
        filters: list[tuple[str, str]] = []
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep:
                raise ValueError(f"README.md: anchor {match.group(0)!r}: {pair!r} is not key=value")
            if key in ("column", "agg"):
                fields[key] = value
            else:
                filters.append((key, value))
        if "column" not in fields:
            raise ValueError(f"README.md: anchor {match.group(0)!r} names no column=")
        anchors.append(
            Anchor(
                printed=printed,
                table=table,
                filters=tuple(filters),
                column=fields["column"],
                agg=fields.get("agg"),
                command=command,
                line=text.count("\n", 0, start) + 1,
                context=_visible_before(text, start),
            )
        )
    return anchors


def _visible_before(text: str, start: int) -> str:
    before = text[max(0, start - 4 * LOOKBACK) : start]
    before = re.sub(r"<!--.*?-->", " ", before, flags=re.S)
    return before[-LOOKBACK:]


def printed_in_context(anchor: Anchor) -> bool:
    """Whether the number as printed is the last number in the prose before its comment (the
    comment sits right after its number, so it cannot drift to another one)."""
    numbers = re.findall(r"\d+(?:\.\d+)?%?", anchor.context)
    return bool(numbers) and numbers[-1] == anchor.printed


def _select(frame: pd.DataFrame, anchor: Anchor) -> pd.DataFrame:
    rows = frame
    for key, value in anchor.filters:
        if key not in rows.columns:
            raise KeyError(f"{anchor}: {anchor.table} has no column {key!r}")
        column = rows[key]
        if pd.api.types.is_bool_dtype(column):
            wanted: object = value.lower() == "true"
        elif pd.api.types.is_numeric_dtype(column):
            wanted = float(value)
        else:
            wanted = value
        rows = rows[column == wanted]
    return rows


_REDUCE: dict[str, Callable[[pd.Series], float]] = {
    "max": lambda v: float(v.max()),
    "min": lambda v: float(v.min()),
    "mean": lambda v: float(v.mean()),
}


def table_value(frame: pd.DataFrame, anchor: Anchor) -> float:
    """The cell (or aggregate) an anchor names."""
    rows = _select(frame, anchor)
    if anchor.agg == "count":
        return float(len(rows))
    if anchor.column not in rows.columns:
        raise KeyError(f"{anchor}: {anchor.table} has no column {anchor.column!r}")
    if anchor.agg == "count_notna":
        return float(rows[anchor.column].notna().sum())
    if rows.empty:
        raise LookupError(f"{anchor}: no row matches")
    values = rows[anchor.column].astype(float)
    if anchor.agg is None:
        if len(rows) != 1:
            raise LookupError(f"{anchor}: {len(rows)} rows match, expected one (add filters)")
        return float(values.iloc[0])
    if anchor.agg in _REDUCE:
        return _REDUCE[anchor.agg](values)
    how, _, other = anchor.agg.partition(":")
    if how not in ("argmax", "argmin") or not other:
        raise ValueError(
            f"{anchor}: unknown agg {anchor.agg!r} (max, min, mean, count, argmax:COL)"
        )
    index = values.idxmax() if how == "argmax" else values.idxmin()
    return float(rows.loc[index, other])


def as_printed(value: float, printed: str) -> str:
    """``value`` rounded the way ``printed`` is written (half to even on the decimal value)."""
    if math.isnan(value):
        return "nan"
    percent = printed.endswith("%")
    body = printed.rstrip("%")
    decimals = len(body.partition(".")[2])
    scaled = Decimal(repr(value * 100 if percent else value))
    quantum = Decimal(1).scaleb(-decimals)
    text = str(scaled.quantize(quantum, rounding=ROUND_HALF_EVEN))
    if text.startswith("-") and Decimal(text) == 0:
        text = text[1:]
    return text + ("%" if percent else "")


def check_anchor(anchor: Anchor, read: Callable[[str], pd.DataFrame]) -> str | None:
    """None if the README's number is the table's (as printed), else what is wrong."""
    if not printed_in_context(anchor):
        return f"{anchor}: {anchor.printed} is not in the text before the anchor"
    try:
        value = table_value(read(anchor.table), anchor)
    except (KeyError, LookupError, ValueError) as err:
        return str(err)
    shown = as_printed(value, anchor.printed)
    if shown != anchor.printed:
        return (
            f"{anchor}: the table gives {value!r}, printed {shown}, "
            f"the README says {anchor.printed}"
        )
    return None
