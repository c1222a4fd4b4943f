"""Report text: escaping rules and Markdown through ``markdown-it-py`` with raw HTML disabled.

Model vocabularies contain strings such as ``<script>alert(1)</script>``, ``</td>`` and
``&amp;``, and callers pass them straight through. Two libraries keep them inert: Jinja2's
autoescaping for everything a template prints (:mod:`babelscope.report.templating`), and
markdown-it-py with ``html=False`` for prose, so a tag in a caption is shown, never parsed.
What markdown-it would otherwise let through is narrowed here: no images (a report fetches
nothing), links only to ``http(s)``, ``mailto`` and in-page ``#`` anchors, no HTML entities
(``&amp;`` in a token must read ``&amp;``), no indented code blocks (wrapped findings text
must stay prose), and headings demoted to ``h3``-``h6`` because the page and its sections own
``h1``/``h2``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from markupsafe import Markup
from markupsafe import escape as _escape

if TYPE_CHECKING:
    from collections.abc import Sequence

    from markdown_it import MarkdownIt
    from markdown_it.renderer import RendererHTML
    from markdown_it.token import Token
    from markdown_it.utils import EnvType, OptionsDict

__all__ = ["clean", "escape", "inline", "markdown"]

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0/C1 controls except tab, newline and carriage return: invisible or parse errors in HTML.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f]")
_SAFE_URL = re.compile(r"^(?:https?://|mailto:|#)", re.IGNORECASE)
_HEADING_SHIFT = 2  # "#" -> h3: the page owns h1, sections h2


def _control_escape(match: re.Match[str]) -> str:
    char = match.group(0)
    return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(char, f"\\x{ord(char):02x}")


def clean(value: object, *, visible_whitespace: bool = False) -> str:
    """``str(value)`` made safe to encode and visible: lone surrogates become U+FFFD.

    Control characters become backslash escapes (``\\x00``) so a token such as ``"\\x0b"`` is
    shown rather than swallowed; with ``visible_whitespace`` newlines and tabs are shown the same
    way, which is what a table of tokens needs.
    """
    text = _SURROGATE.sub("\ufffd", str(value))
    pattern = _CONTROL_OR_BREAK if visible_whitespace else _CONTROL
    return pattern.sub(_control_escape, text)


def escape(value: object, *, visible_whitespace: bool = False) -> Markup:
    """HTML-escape ``str(value)`` after :func:`clean` (quotes too: safe inside attributes)."""
    if isinstance(value, Markup):
        return value
    return _escape(clean(value, visible_whitespace=visible_whitespace))


def _demote_heading(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    level = min(int(token.tag[1]) + _HEADING_SHIFT, 6)
    token.tag = f"h{level}"
    return self.renderToken(tokens, idx, options, env)


@cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False})
    md.disable(["image", "entity", "code", "html_block", "html_inline"])
    md.validateLink = lambda url: bool(_SAFE_URL.match(url.strip()))  # type: ignore[method-assign]
    md.add_render_rule("heading_open", _demote_heading)
    md.add_render_rule("heading_close", _demote_heading)
    return md


def markdown(text: object) -> Markup:
    """Block Markdown (paragraphs, headings, lists, fenced code, emphasis, links) as HTML."""
    return Markup(_parser().render(clean(text)))


def inline(text: object) -> Markup:
    """One line of inline Markdown (code spans, emphasis, links) as HTML, no ``<p>``."""
    return Markup(_parser().renderInline(clean(text)))
