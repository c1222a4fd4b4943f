"""The HTML report is self-contained and injection-proof (the plots: test_plotting.py).

Every check parses the rendered page with :mod:`html.parser` (what a browser's tokenizer
does first) rather than searching strings, so "escaped" means "never became a tag".
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from babelscope._version import __version__
from babelscope.plotting import (
    figure_to_png_bytes,
    plot_layer_curves,
)
from babelscope.report.blocks import PNG_SIGNATURE
from babelscope.report.html import CONTENT_SECURITY_POLICY, Report
from babelscope.report.tables import format_number

SCRIPT = "<script>alert(1)</script>"
CELL_BREAK = "</td><td>"
MALICIOUS_TOKENS = [SCRIPT, CELL_BREAK, "&amp;", "▁<s>", '"><img src=x onerror=alert(1)>', " the"]
FIXED_TIME = datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc)


class Page(HTMLParser):
    """Collects what the browser's tokenizer would see: tags, attributes, text."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.rows: list[list[str]] = []  # cells of every <tr>, for tables
        self._in_cell = False
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self.rows[-1].append("")
            self._in_cell = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_cell and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data

    def find(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def _figure() -> Figure:
    frame = pd.DataFrame(
        {
            "model": ["m"] * 6,
            "language": ["en"] * 3 + ["zh"] * 3,
            "layer": [0, 1, 2] * 2,
            "mean": [0.1, 0.5, 0.2, 0.0, 0.1, 0.8],
        }
    )
    return plot_layer_curves(frame, lower=None, upper=None)


def _malicious_report() -> Report:
    report = Report(f"Tokens {SCRIPT}", subtitle=CELL_BREAK, generated_at=FIXED_TIME)
    section = report.add_section("tokens", f"Top tokens {SCRIPT}")
    section.add_text(f"A token such as {SCRIPT} or {CELL_BREAK} must stay text.")
    section.add_table(
        pd.DataFrame({"token": MALICIOUS_TOKENS, "p": np.linspace(0.5, 0.1, 6)}),
        caption=f"caption {SCRIPT}",
    )
    left, right = report.add_section("models", "Models").add_side_by_side(["a <b>", "c"])
    left.add_figure(_figure(), f"figure {SCRIPT}")
    right.add_key_values({SCRIPT: CELL_BREAK})
    report.add_provenance({"model": {"id": SCRIPT, "sha256": "ab" * 32}})
    return report


# -- escaping ------------------------------------------------------------------------------


def test_no_script_element_is_ever_emitted() -> None:
    page = Page(_malicious_report().render())
    assert page.find("script") == []
    assert page.find("img") and all(
        set(attrs) == {"src", "alt", "width"} for attrs in page.find("img")
    ), "only our own images, with only our own attributes"
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs)


def test_malicious_strings_survive_as_text() -> None:
    page = Page(_malicious_report().render())
    text = "".join(page.text)
    for needle in (SCRIPT, CELL_BREAK, "&amp;", "▁<s>", f"Tokens {SCRIPT}"):
        assert needle in text


def test_table_cells_cannot_break_out() -> None:
    page = Page(_malicious_report().render())
    header, *rows = page.rows[: len(MALICIOUS_TOKENS) + 1]  # the token table comes first
    assert header == ["token", "p"]
    assert [row[0] for row in rows] == MALICIOUS_TOKENS
    assert all(len(row) == 2 for row in rows)  # no injected cells
    assert page.rows[len(MALICIOUS_TOKENS) + 1] == [SCRIPT, CELL_BREAK]  # the key-value table


def test_leading_space_control_characters_and_surrogates() -> None:
    report = Report("t", generated_at=FIXED_TIME)
    tokens = pd.Series([" the", "\n", "\x00", "a\ud800"], dtype=object)
    report.add_section("s", "S").add_table(pd.DataFrame({"token": tokens}), "tokens")
    markup = report.render()
    markup.encode("utf-8")  # a lone surrogate must not make the report unwritable
    cells = [row[0] for row in Page(markup).rows[1:]]
    assert cells == [" the", "\\n", "\\x00", "a\ufffd"]


def test_markdown_subset_and_unsafe_links() -> None:
    report = Report("t", generated_at=FIXED_TIME)
    report.add_section("s", "S").add_text(
        "**bold** and *em* and `<code>`\n\n- [ok](https://example.org)\n"
        "- [bad](javascript:alert(1))\n\n```\n<script>\n```"
    )
    page = Page(report.render())
    assert page.find("strong") and page.find("em") and page.find("ul") and page.find("pre")
    links = [attrs["href"] for attrs in page.find("a")]
    assert "https://example.org" in links
    assert not any(href and href.startswith("javascript") for href in links)
    assert "[bad](javascript:alert(1))" in "".join(page.text)


# -- self-containment and structure ---------------------------------------------------------


def test_images_are_png_data_uris() -> None:
    report = Report("t", generated_at=FIXED_TIME)
    section = report.add_section("figs", "Figures")
    section.add_figure(_figure(), "from a Figure", dpi=100)
    given = figure_to_png_bytes(_figure())
    section.add_figure(given, "from bytes")
    images = Page(report.render()).find("img")
    assert len(images) == 2
    assert base64.b64decode((images[1]["src"] or "").split(",", 1)[1]) == given  # unchanged
    for attrs in images:
        src = attrs["src"] or ""
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG_SIGNATURE)
        assert int(attrs["width"] or 0) > 100  # shown at physical size, from the PNG's dpi


def test_no_external_resources_and_a_strict_policy() -> None:
    markup = _malicious_report().render()
    page = Page(markup)
    for _, attrs in page.tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("data:", "#")), f"external {name}={value!r}"
    policies = [a for a in page.find("meta") if a.get("http-equiv") == "Content-Security-Policy"]
    assert [a["content"] for a in policies] == [CONTENT_SECURITY_POLICY]
    assert "script-src" not in CONTENT_SECURITY_POLICY  # default-src 'none' forbids scripts
    assert "http://" not in markup and "https://" not in markup


def test_toc_links_match_section_ids() -> None:
    report = _malicious_report()
    page = Page(report.render())
    sections = page.find("section")
    ids = [attrs["id"] for attrs in sections]
    assert ids == ["tokens", "models", "provenance"]
    assert all(attrs["data-section"] == attrs["id"] for attrs in sections)
    nav_start = next(i for i, (tag, _) in enumerate(page.tags) if tag == "nav")
    main_start = next(i for i, (tag, _) in enumerate(page.tags) if tag == "main")
    toc = [a["href"] for tag, a in page.tags[nav_start:main_start] if tag == "a"]
    assert toc == [f"#{i}" for i in ids]


def test_header_has_title_time_and_version() -> None:
    markup = _malicious_report().render()
    page = Page(markup)
    title_at = next(i for i, (tag, _) in enumerate(page.tags) if tag == "title")
    assert "<title>Tokens &lt;script&gt;alert(1)&lt;/script&gt;</title>" in markup
    assert title_at >= 0
    assert f"babelscope {__version__}" in "".join(page.text)
    assert page.find("time")[0]["datetime"] == FIXED_TIME.isoformat()


def test_tables_are_truncated_with_a_note() -> None:
    report = Report("t", generated_at=FIXED_TIME)
    report.add_section("s", "S").add_table(pd.DataFrame({"x": range(100)}), "big", max_rows=10)
    page = Page(report.render())
    assert len(page.rows) == 11  # header + 10
    assert "Showing 10 of 100 rows." in "".join(page.text)


def test_figures_and_tables_are_numbered_across_sections() -> None:
    report = Report("t", generated_at=FIXED_TIME)
    report.add_section("a", "A").add_table(pd.DataFrame({"x": [1]}), "one")
    report.add_section("b", "B").add_table(pd.DataFrame({"x": [2]}), "two")
    text = "".join(Page(report.render()).text)
    assert "Table 1." in text and "Table 2." in text


def test_metrics_mark_the_primary_metric() -> None:
    report = Report("t", generated_at=FIXED_TIME)
    report.add_section("m", "M").add_metrics({"acc": 0.91234, "n": 10}, primary="acc")
    page = Page(report.render())
    classes = [a.get("class") for a in page.find("div")]
    assert "metric primary" in classes
    assert "0.9123" in "".join(page.text)
    with pytest.raises(ValueError, match="primary metric"):
        Report("t").add_section("x", "X").add_metrics({"a": 1}, primary="b")


@pytest.mark.parametrize("bad", ["", "1abc", "has space", "a/b", "contents"])
def test_section_ids_are_validated(bad: str) -> None:
    with pytest.raises(ValueError, match="section id"):
        Report("t").add_section(bad, "x")


def test_duplicate_section_ids_are_rejected() -> None:
    report = Report("t")
    report.add_section("a", "A")
    with pytest.raises(ValueError, match="already exists"):
        report.add_section("a", "again")


def test_figure_input_is_checked() -> None:
    with pytest.raises(ValueError, match="PNG"):
        Report("t").add_section("a", "A").add_figure(b"GIF89a", "not a png")


# -- atomic write ---------------------------------------------------------------------------


def test_write_is_atomic_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "run" / "report.html"
    written = _malicious_report().write(target)
    assert written == target.resolve()
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]
    assert target.read_text("utf-8").startswith("<!DOCTYPE html>")


def test_failed_write_keeps_the_old_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.html"
    target.write_text("old", "utf-8")

    def fail(self: Path, target: Path) -> Path:
        raise OSError("disk full")

    monkeypatch.setattr(Path, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        _malicious_report().write(target)
    assert target.read_text("utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


# -- tables that read -----------------------------------------------------------------------

LEXICON_WORD = "<img src=x onerror=alert(1)>"


def test_a_hostile_lexicon_word_is_text_everywhere() -> None:
    report = Report(f"title {LEXICON_WORD}", subtitle=LEXICON_WORD, generated_at=FIXED_TIME)
    section = report.add_section("s", f"S {LEXICON_WORD}")
    section.add_text(f"the word {LEXICON_WORD} in prose, **bold {LEXICON_WORD}**")
    section.add_table(pd.DataFrame({"word": [LEXICON_WORD, "x"]}), f"caption {LEXICON_WORD}")
    section.add_key_values({LEXICON_WORD: LEXICON_WORD})
    page = Page(report.render())
    assert page.find("img") == []  # no figure was added, so no image at all
    text = "".join(page.text)
    assert text.count(LEXICON_WORD) >= 8  # title x2, subtitle, heading x2, prose x2, ...
    assert LEXICON_WORD in [row[0] for row in page.rows]


@pytest.mark.parametrize(
    ("value", "column", "shown"),
    [
        (1.39e-05, [1.39e-05, 0.7196], "<0.001"),  # a probability, not 1.39e-05
        (0.7196, [1.39e-05, 0.7196], "0.720"),
        (-0.0001, [-0.0001, 0.5], ">-0.001"),
        (-0.0004, [-0.0004, 0.3], ">-0.001"),
        (0.0, [0.0, 0.3], "0.000"),
        (13.0, [13.0, 8.0], "13"),  # a whole-number column that holds NaN
        (12.3456, [12.3456, 300.0], "12.35"),
        (12345.678, [12345.678, 3.5], "12346"),
        (2.5e-7, [2.5e-7, 4.0], "2.50e-07"),  # scientific only where it helps
        (3.2e9, [3.2e9, 4.5], "3.20e+09"),
        (3.2e9, [3.2e9, 4.0], "3200000000"),  # whole numbers stay whole
        (-0.00001, [-0.00001, 40.0], "-1.00e-05"),
    ],
)
def test_numbers_are_formatted_by_meaning(value: float, column: list[float], shown: str) -> None:
    assert format_number(value, np.array(column)) == shown


def test_an_explicit_format_never_shows_negative_zero() -> None:
    report = Report("t", generated_at=FIXED_TIME)
    frame = pd.DataFrame({"lower 95% bound": [-0.0004, 0.25]})
    report.add_section("s", "S").add_table(frame, "bounds", float_format="{:.2f}")
    assert [row[0] for row in Page(report.render()).rows[1:]] == ["0.00", "0.25"]


def test_language_codes_show_their_names_and_long_text_collapses() -> None:
    long = "word " * 40
    frame = pd.DataFrame(
        {"target": ["fra_Latn", "arb_Arab"], "reason": [long.strip(), "short reason"]}
    )
    report = Report("t", generated_at=FIXED_TIME)
    report.add_section("s", "S").add_table(frame, "codes")
    markup = report.render()
    page = Page(markup)
    assert [row[0] for row in page.rows[1:]] == ["fra_LatnFrench", "arb_ArabModern Standard Arabic"]
    assert len(page.find("details")) == 1 and len(page.find("summary")) == 1
    assert long.strip() in "".join(page.text)  # the full text is still in the page
    classes = [attrs.get("class") for attrs in page.find("td")]
    assert classes[:2] == ["code", "text"]
