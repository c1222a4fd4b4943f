"""The content blocks a report section is made of; each renders itself through its template.

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

from markupsafe import Markup

from babelscope.report.tables import TableSnapshot, render_table
from babelscope.report.templating import render

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

    def render(self, ctx: RenderContext) -> Markup: ...


@dataclass(frozen=True)
class TextBlock:
    """Paragraphs of Markdown (raw HTML disabled: :mod:`babelscope.report.text`)."""

    text: str

    def render(self, ctx: RenderContext) -> Markup:
        return render("text.html.j2", text=self.text)


@dataclass(frozen=True)
class FigureBlock:
    """A PNG embedded as a ``data:`` URI, so the report needs no files beside it."""

    png: bytes
    caption: str
    alt: str | None = None

    def __post_init__(self) -> None:
        if not self.png.startswith(PNG_SIGNATURE):
            raise ValueError("add_figure expects a matplotlib Figure or PNG bytes")

    def render(self, ctx: RenderContext) -> Markup:
        ctx.figures += 1
        return render(
            "figure.html.j2",
            data=base64.b64encode(self.png).decode("ascii"),
            alt=self.alt if self.alt is not None else self.caption,
            width=png_display_width(self.png),
            number=ctx.figures,
            caption=self.caption,
        )


@dataclass(frozen=True)
class TableBlock:
    """A frame as an HTML table with a numbered caption and a note when rows were cut."""

    snapshot: TableSnapshot
    caption: str
    float_format: str | None = None  # None: by meaning (tables.format_number)

    def render(self, ctx: RenderContext) -> Markup:
        ctx.tables += 1
        return render(
            "table_block.html.j2",
            number=ctx.tables,
            caption=self.caption,
            shown=len(self.snapshot.frame),
            total=self.snapshot.total_rows,
            table=render_table(self.snapshot, self.float_format),
        )


Node = tuple[str, Any]  # (kind, payload) for templates/key_values.html.j2


def kv_tree(value: object, depth: int = 0) -> Node:  # noqa: PLR0911
    """A manifest value as a tree the template draws: mappings become nested tables, flat
    lists one line, hashes monospace, anything deeper than six levels pretty-printed JSON."""
    if isinstance(value, (Mapping, list, tuple)):
        if depth >= _MAX_DEPTH:
            return ("pre", json.dumps(value, indent=2, default=str, ensure_ascii=False))
        if isinstance(value, Mapping):
            return ("map", [(str(k), kv_tree(v, depth + 1)) for k, v in value.items()])
        if not value:
            return ("na", None)
        if all(not isinstance(item, (Mapping, list, tuple)) for item in value):
            return ("text", ", ".join(str(item) for item in value))
        return ("list", [kv_tree(item, depth + 1) for item in value])
    if value is None:
        return ("na", None)
    text = str(value)
    return ("code", text) if _HASH_LIKE.match(text) else ("text", text)


@dataclass(frozen=True)
class KeyValuesBlock:
    """Provenance, settings and other small records; nested mappings are nested tables."""

    values: Mapping[Any, object]

    def render(self, ctx: RenderContext) -> Markup:
        return render("key_values.html.j2", tree=kv_tree(self.values))


@dataclass(frozen=True)
class MetricsBlock:
    """Headline numbers as cards, the declared primary metric emphasised."""

    metrics: Mapping[str, object]
    primary: str | None = None

    def __post_init__(self) -> None:
        if self.primary is not None and self.primary not in self.metrics:
            raise ValueError(f"primary metric {self.primary!r} is not among {list(self.metrics)}")

    def render(self, ctx: RenderContext) -> Markup:
        cards = [
            {
                "name": name,
                "value": f"{value:.4g}" if isinstance(value, float) else str(value),
                "primary": name == self.primary,
            }
            for name, value in self.metrics.items()
        ]
        return render("metrics.html.j2", cards=cards)


@dataclass
class ColumnsBlock:
    """Side-by-side columns (e.g. one per model); each column holds its own blocks."""

    titles: Sequence[str]
    columns: list[list[Block]] = field(default_factory=list)

    def render(self, ctx: RenderContext) -> Markup:
        columns = [
            {"title": title, "blocks": [block.render(ctx) for block in blocks]}
            for title, blocks in zip(self.titles, self.columns, strict=True)
        ]
        return render("columns.html.j2", columns=columns)
