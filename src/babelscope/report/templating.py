"""The Jinja2 environment every part of the report renders through.

Autoescaping is on for every template (``.html.j2``): a value reaches the page escaped unless
it is :class:`~markupsafe.Markup` built by :mod:`babelscope.report.text` (Markdown with raw
HTML disabled) or by another of our templates. ``finalize`` runs
:func:`~babelscope.report.text.clean` on every other printed value first, so lone surrogates
cannot make the page unwritable and control characters are shown, not swallowed. Templates
ship as package data (``babelscope/report/templates/``).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from babelscope.report.text import clean, inline, markdown

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = ["render"]


def _finalize(value: object) -> object:
    if value is None or isinstance(value, Markup):
        return "" if value is None else value
    return clean(value)


@cache
def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("babelscope.report", "templates"),
        autoescape=select_autoescape(["html.j2"], default=True),
        undefined=StrictUndefined,  # a misspelt variable is a bug, not an empty string
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["markdown"] = markdown
    env.filters["inline"] = inline
    return env


def render(template: str, **context: Any) -> Markup:
    """Render ``templates/<template>`` with ``context``; the result is safe HTML."""
    return Markup(_environment().get_template(template).render(**context))
