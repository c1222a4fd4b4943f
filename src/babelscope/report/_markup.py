"""Escaping and a deliberately tiny, safe Markdown subset for report text.

Model vocabularies contain strings such as ``<script>alert(1)</script>``, ``</td>`` and
``&amp;``, and callers pass them straight through; so every string that reaches the page goes
through :func:`escape` first and no caller can inject markup. Markdown is applied *after*
escaping and only ever adds a fixed set of tags (``p``, ``ul``/``ol``, ``h3``-``h5``,
``pre``/``code``, ``strong``, ``em`` and ``a`` for http(s)/mailto/``#`` links).
"""

from __future__ import annotations

import html
import re

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0/C1 controls except tab, newline and carriage return: invisible or parse errors in HTML.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f]")
_SAFE_URL = re.compile(r"^(?:https?://|mailto:|#)", re.IGNORECASE)

_FENCE = re.compile(r"^\s*```")
_HEADING = re.compile(r"^(#{1,3})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_ORDERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")

_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_EM = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])")


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


def escape(value: object, *, visible_whitespace: bool = False) -> str:
    """HTML-escape ``str(value)`` (quotes included, so it is also safe inside attributes)."""
    return html.escape(clean(value, visible_whitespace=visible_whitespace), quote=True)


def _inline_plain(text: str) -> str:
    """Escape, then apply links and emphasis; the regexes only ever see escaped text."""
    out = escape(text)

    def link(match: re.Match[str]) -> str:
        label, url = match.group(1), match.group(2)
        if not _SAFE_URL.match(url):
            return match.group(0)
        return f'<a href="{url}">{label}</a>'

    out = _LINK.sub(link, out)
    out = _STRONG.sub(r"<strong>\1</strong>", out)
    return _EM.sub(r"<em>\1</em>", out)


def inline(text: str) -> str:
    """Render one line of the Markdown subset: code spans, links, ``**strong**``, ``*em*``."""
    parts: list[str] = []
    position = 0
    for match in _CODE_SPAN.finditer(text):
        parts.append(_inline_plain(text[position : match.start()]))
        parts.append(f"<code>{escape(match.group(1))}</code>")
        position = match.end()
    parts.append(_inline_plain(text[position:]))
    return "".join(parts)


def _starts_block(line: str) -> bool:
    return bool(
        not line.strip()
        or _FENCE.match(line)
        or _HEADING.match(line)
        or _BULLET.match(line)
        or _ORDERED.match(line)
    )


def markdown(text: str) -> str:
    """Render the Markdown subset to HTML; anything else is shown literally, escaped.

    Blocks: paragraphs (separated by blank lines), ``#``/``##``/``###`` headings (rendered as
    ``h3``-``h5`` because the page and its sections own ``h1``/``h2``), ``-`` and ``1.`` lists,
    and fenced code blocks.
    """
    lines = clean(text).splitlines()
    blocks: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif _FENCE.match(line):
            i += 1
            body: list[str] = []
            while i < len(lines) and not _FENCE.match(lines[i]):
                body.append(lines[i])
                i += 1
            i += 1  # the closing fence (or the end of the text)
            blocks.append(f"<pre><code>{escape(chr(10).join(body))}</code></pre>")
        elif heading := _HEADING.match(line):
            level = len(heading.group(1)) + 2
            blocks.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
            i += 1
        elif _BULLET.match(line) or _ORDERED.match(line):
            pattern, tag = (_BULLET, "ul") if _BULLET.match(line) else (_ORDERED, "ol")
            items: list[str] = []
            while i < len(lines) and lines[i].strip():
                item = pattern.match(lines[i])
                if item:
                    items.append(item.group(1))
                elif items and not _starts_block(lines[i]):
                    items[-1] += " " + lines[i].strip()  # continuation line
                else:
                    break
                i += 1
            rendered = "".join(f"<li>{inline(item)}</li>" for item in items)
            blocks.append(f"<{tag}>{rendered}</{tag}>")
        else:
            paragraph = [line.strip()]
            i += 1
            while i < len(lines) and not _starts_block(lines[i]):
                paragraph.append(lines[i].strip())
                i += 1
            blocks.append(f"<p>{inline(' '.join(paragraph))}</p>")
    return "\n".join(blocks)
