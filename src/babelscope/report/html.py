"""Build one self-contained, offline HTML report.

The report is a single file users can mail or attach to an issue: CSS is inline, figures are
base64 PNG ``data:`` URIs, and there is no JavaScript at all. The page is assembled from Jinja2
templates (``templates/*.html.j2``, autoescaped) and prose goes through markdown-it-py with raw
HTML disabled (:mod:`babelscope.report.text`). A Content-Security-Policy meta tag
forbids scripts and every network fetch, so even a bug in our escaping could not run code or
leak a request, and a report that accidentally depended on the network fails loudly (a console
error, caught by :func:`babelscope.report.browser.check_in_chromium`) instead of silently.

Typical use::

    report = Report("Latent language of gemma-3-270m", subtitle="FLORES-200 dev, 200 languages")
    overview = report.add_section("latent", "Latent language per layer")
    overview.add_text("Probability of **English** vs the *target* language through the layers.")
    overview.add_figure(plot_layer_curves(frame), "P(language) per layer, 95% intervals.")
    left, right = report.add_section("compare", "Models").add_side_by_side(["gemma", "smollm2"])
    report.add_provenance(manifest)
    report.write(run_dir / "report.html")
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from markupsafe import Markup

from babelscope._version import __version__
from babelscope.atomic import atomic_write_text
from babelscope.report.blocks import (
    Block,
    ColumnsBlock,
    FigureBlock,
    KeyValuesBlock,
    MetricsBlock,
    RenderContext,
    TableBlock,
    TextBlock,
)
from babelscope.report.tables import TableSnapshot
from babelscope.report.templating import render

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["CONTENT_SECURITY_POLICY", "Column", "Report", "Section"]

# No scripts, no fetches: images only from data: URIs, styles only inline.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'"
)
_SECTION_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_RESERVED_IDS = frozenset({"contents"})
_C = TypeVar("_C", bound="Column")


@cache
def _stylesheet() -> str:
    return (resources.files("babelscope.report") / "assets" / "report.css").read_text("utf-8")


class Column:
    """A container of blocks: a whole section, or one column of a side-by-side comparison.

    Every ``add_*`` method returns the container, so calls can be chained.
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self._blocks: list[Block] = []

    @property
    def blocks(self) -> tuple[Block, ...]:
        return tuple(self._blocks)

    def add_text(self: _C, text: str) -> _C:
        """Add prose in Markdown (CommonMark via markdown-it-py); any HTML in ``text`` is shown
        literally.

        Paragraphs, ``#`` headings (shown as ``h3``), lists, fenced code, ```code```,
        ``**strong**``, ``*em*`` and ``[label](https://…)`` links; no images, and links only to
        http(s), mailto and ``#`` anchors.
        """
        self._blocks.append(TextBlock(str(text)))
        return self

    def add_figure(
        self: _C, figure: Figure | bytes, caption: str, *, alt: str | None = None, dpi: int = 150
    ) -> _C:
        """Embed a matplotlib figure (rasterised now, at ``dpi``) or ready PNG bytes."""
        if isinstance(figure, (bytes, bytearray, memoryview)):
            png = bytes(figure)
        else:
            from babelscope.plotting.export import figure_to_png_bytes

            png = figure_to_png_bytes(figure, dpi=dpi)
        self._blocks.append(FigureBlock(png, caption, alt))
        return self

    def add_table(
        self: _C,
        frame: pd.DataFrame,
        caption: str,
        *,
        max_rows: int | None = 50,
        index: bool = False,
        float_format: str | None = None,
    ) -> _C:
        """Add a frame as a table; every header and cell is escaped, the first ``max_rows`` shown.

        Numbers are formatted by meaning (:func:`~babelscope.report.tables.format_number`:
        whole numbers as integers, values within [-1, 1] to 3 decimals, scientific notation
        only for magnitudes below 10⁻³ or from 10⁶) unless ``float_format`` (e.g.
        ``"{:.1f}"``) is given; ``-0`` never shows. Language codes get their names.

        ``index=True`` also shows the frame's index (use it for a meaningful index such as
        language codes). String cells keep their spaces and show control characters as
        escapes, so tokens like ``" the"`` and ``"\\n"`` stay distinguishable.
        """
        snapshot = TableSnapshot.of(frame, max_rows=max_rows, index=index)
        self._blocks.append(TableBlock(snapshot, caption, float_format))
        return self

    def add_key_values(self: _C, values: Mapping[str, object]) -> _C:
        """Add a record (settings, manifest); nested mappings render as nested tables."""
        self._blocks.append(KeyValuesBlock(copy.deepcopy(dict(values))))
        return self

    def add_metrics(self: _C, metrics: Mapping[str, object], *, primary: str | None = None) -> _C:
        """Add headline numbers, e.g. an evaluator's metric dict with its primary metric."""
        self._blocks.append(MetricsBlock(dict(metrics), primary))
        return self

    def _render_blocks(self, ctx: RenderContext) -> list[Markup]:
        return [block.render(ctx) for block in self._blocks]


class Section(Column):
    """A top-level part of the report, listed in the table of contents."""

    def __init__(self, section_id: str, title: str) -> None:
        super().__init__(title)
        self.id = section_id

    def add_side_by_side(self, titles: Sequence[str]) -> list[Column]:
        """Add one column per title (e.g. per model) and return them to be filled in.

        ``gemma, smol = section.add_side_by_side(["gemma-3-270m", "smollm2-135m"])``
        """
        if isinstance(titles, str) or not titles:
            raise ValueError("add_side_by_side expects a non-empty list of column titles")
        columns = [Column(str(title)) for title in titles]
        block = ColumnsBlock([c.title for c in columns])
        block.columns.extend(c._blocks for c in columns)  # live lists: filled in later
        self._blocks.append(block)
        return columns

    def render(self, ctx: RenderContext) -> Markup:
        return render(
            "section.html.j2", id=self.id, title=self.title, blocks=self._render_blocks(ctx)
        )


class Report:
    """A self-contained HTML report: header, table of contents, sections, provenance."""

    def __init__(
        self, title: str, subtitle: str | None = None, *, generated_at: datetime | None = None
    ) -> None:
        self.title = title
        self.subtitle = subtitle
        # Fixed by the caller for reproducible output; otherwise taken at render time.
        self.generated_at = generated_at
        self._sections: dict[str, Section] = {}

    @property
    def sections(self) -> tuple[Section, ...]:
        return tuple(self._sections.values())

    def __getitem__(self, section_id: str) -> Section:
        return self._sections[section_id]

    def add_section(self, section_id: str, title: str) -> Section:
        """Append a section; ``section_id`` becomes its HTML id, anchor and ``data-section``."""
        if not _SECTION_ID.match(section_id) or section_id in _RESERVED_IDS:
            raise ValueError(
                f"section id {section_id!r} must start with a letter and use only letters, "
                f"digits, '-' and '_' (and not be one of {sorted(_RESERVED_IDS)})"
            )
        if section_id in self._sections:
            raise ValueError(f"a section with id {section_id!r} already exists")
        section = Section(section_id, title)
        self._sections[section_id] = section
        return section

    def add_provenance(
        self,
        manifest: Mapping[str, object],
        *,
        section_id: str = "provenance",
        title: str = "Provenance",
    ) -> Section:
        """Add the run's manifest (model and data hashes, settings, versions) as a section."""
        section = self.add_section(section_id, title)
        section.add_text(
            "Everything needed to reproduce this report: the exact model, tokenizer and data "
            "(by content hash), the settings and the package versions."
        )
        section.add_key_values(manifest)
        return section

    def render(self) -> str:
        """The whole page as a string."""
        when = self.generated_at or datetime.now(timezone.utc)
        ctx = RenderContext()
        bodies = [section.render(ctx) for section in self.sections]
        return str(
            render(
                "page.html.j2",
                policy=CONTENT_SECURITY_POLICY,
                version=__version__,
                title=self.title,
                subtitle=self.subtitle,
                when=when,
                stamp=when.strftime("%Y-%m-%d %H:%M %Z").strip(),
                sections=self.sections,
                bodies=bodies,
                stylesheet=Markup(_stylesheet()),  # our own file, not user text
            )
        )

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Render and write atomically (temp file + ``os.replace``); return the path written."""
        return atomic_write_text(path, self.render())
