"""The content blocks a report section is made of; each renders itself to escaped HTML.

Blocks are immutable snapshots taken when they are added (figures are rasterised to PNG,
tables copied), so a report renders the same however the caller's objects change afterwards.
"""

from __future__ import annotations

import base64
import json
import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from babelscope.report._markup import escape, inline, markdown
from babelscope.report.tables import TableSnapshot, render_table

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_HASH_LIKE = re.compile(r"^(?:[a-z0-9]+:)?[0-9a-f]{16,}$")
_MAX_DEPTH = 6
_CSS_DPI = 96  # CSS pixels per inch
_METRES_PER_INCH = 0.0254


def png_display_width(png: bytes) -> int | None:
    """The CSS width at which a PNG shows at its physical size, from its ``pHYs`` chunk.

    Figures are rendered at high dpi for sharpness; shown at their pixel width they would be
    1.5x too large (a 200-language ranking would fill several screens). Matplotlib records
    the dpi in ``pHYs``; without it the image keeps its natural size.
    """
    width: int = struct.unpack(">I", png[16:20])[0]
    offset = 8
    while offset + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[offset : offset + 8])
        if kind == b"IDAT":
            break
        if kind == b"pHYs" and length == 9:
            x_ppu: int
            unit: int
            x_ppu, _, unit = struct.unpack(">IIB", png[offset + 8 : offset + 17])
            if unit == 1 and x_ppu > 0:  # pixels per metre
                return round(width * _CSS_DPI / (x_ppu * _METRES_PER_INCH))
        offset += 12 + length
    return None


@dataclass
class RenderContext:
    """Running figure/table numbers, so captions read "Figure 3." across the whole report."""

    figures: int = 0
    tables: int = 0


class Block(Protocol):
    """Anything that can sit in a section."""

    def render(self, ctx: RenderContext) -> str: ...


@dataclass(frozen=True)
class TextBlock:
    """Paragraphs in the safe Markdown subset of :mod:`babelscope.report._markup`."""

    text: str

    def render(self, ctx: RenderContext) -> str:
        return f'<div class="text">{markdown(self.text)}</div>'


@dataclass(frozen=True)
class FigureBlock:
    """A PNG embedded as a ``data:`` URI, so the report needs no files beside it."""

    png: bytes
    caption: str
    alt: str | None = None

    def __post_init__(self) -> None:
        if not self.png.startswith(PNG_SIGNATURE):
            raise ValueError("add_figure expects a matplotlib Figure or PNG bytes")

    def render(self, ctx: RenderContext) -> str:
        ctx.figures += 1
        data = base64.b64encode(self.png).decode("ascii")
        alt = escape(self.alt if self.alt is not None else self.caption)
        width = png_display_width(self.png)
        size = f' width="{width}"' if width else ""
        return (
            f'<figure><img src="data:image/png;base64,{data}" alt="{alt}"{size}>'
            f'<figcaption><span class="label">Figure {ctx.figures}.</span> '
            f"{inline(self.caption)}</figcaption></figure>"
        )


@dataclass(frozen=True)
class TableBlock:
    """A frame as an HTML table with a numbered caption and a note when rows were cut."""

    snapshot: TableSnapshot
    caption: str
    float_format: str = "{:.4g}"

    def render(self, ctx: RenderContext) -> str:
        ctx.tables += 1
        shown, total = len(self.snapshot.frame), self.snapshot.total_rows
        note = f' <span class="note">Showing {shown:,} of {total:,} rows.</span>'
        return (
            '<div class="table-block">'
            f'<p class="caption"><span class="label">Table {ctx.tables}.</span> '
            f"{inline(self.caption)}{note if shown < total else ''}</p>"
            f"{render_table(self.snapshot, self.float_format)}</div>"
        )


def _render_value(value: object, depth: int) -> str:
    """A manifest value: nested mappings become nested tables, hashes monospace."""
    if isinstance(value, (Mapping, list, tuple)):
        return _render_container(value, depth)
    if value is None:
        return '<span class="na">—</span>'
    text = str(value)
    if _HASH_LIKE.match(text):
        return f"<code>{escape(text)}</code>"
    return escape(text)


def _render_container(value: Mapping[Any, object] | list | tuple, depth: int) -> str:
    if depth >= _MAX_DEPTH:
        dumped = json.dumps(value, indent=2, default=str, ensure_ascii=False)
        return f"<pre>{escape(dumped)}</pre>"
    if isinstance(value, Mapping):
        return _render_mapping(value, depth + 1)
    if not value:
        return '<span class="na">—</span>'
    if all(not isinstance(item, (Mapping, list, tuple)) for item in value):
        return escape(", ".join(str(item) for item in value))
    items = "".join(f"<li>{_render_value(item, depth + 1)}</li>" for item in value)
    return f"<ol>{items}</ol>"


def _render_mapping(mapping: Mapping[Any, object], depth: int) -> str:
    rows = "".join(
        f'<tr><th scope="row">{escape(key)}</th><td>{_render_value(value, depth)}</td></tr>'
        for key, value in mapping.items()
    )
    return f'<table class="kv"><tbody>{rows}</tbody></table>'


@dataclass(frozen=True)
class KeyValuesBlock:
    """Provenance, settings and other small records; nested mappings are nested tables."""

    values: Mapping[Any, object]

    def render(self, ctx: RenderContext) -> str:
        return _render_mapping(self.values, 0)


@dataclass(frozen=True)
class MetricsBlock:
    """Headline numbers as cards, the declared primary metric emphasised."""

    metrics: Mapping[str, object]
    primary: str | None = None

    def __post_init__(self) -> None:
        if self.primary is not None and self.primary not in self.metrics:
            raise ValueError(f"primary metric {self.primary!r} is not among {list(self.metrics)}")

    def render(self, ctx: RenderContext) -> str:
        cards: list[str] = []
        for name, value in self.metrics.items():
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            css = "metric primary" if name == self.primary else "metric"
            cards.append(
                f'<div class="{css}"><div class="metric-value">{escape(shown)}</div>'
                f'<div class="metric-name">{escape(name)}</div></div>'
            )
        return f'<div class="metrics">{"".join(cards)}</div>'


@dataclass
class ColumnsBlock:
    """Side-by-side columns (e.g. one per model); each column holds its own blocks."""

    titles: Sequence[str]
    columns: list[list[Block]] = field(default_factory=list)

    def render(self, ctx: RenderContext) -> str:
        rendered: list[str] = []
        for title, blocks in zip(self.titles, self.columns, strict=True):
            inner = "\n".join(block.render(ctx) for block in blocks)
            rendered.append(f'<div class="column"><h3>{escape(title)}</h3>{inner}</div>')
        return f'<div class="columns">{"".join(rendered)}</div>'
