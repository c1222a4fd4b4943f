"""Translation prompts: language tags and the few-shot template.

The template is the LDP paper's plain format, one exemplar per block::

    <source tag>: <source sentence>
    <target tag>: <target sentence>

    …
    <source tag>: <sentence to translate>
    <target tag>:

and the model's answer is its greedy continuation up to the first newline. Tags are native-
script autonyms (``Français``, ``العربية``; the paper found native tags better than English
names) from the language registry (CLDR 47 via babel where CLDR has the language); where the
registry has none the English name is used, and which one was used is recorded per language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from babelscope.languages.registry import resolve_language


@dataclass(frozen=True)
class Tag:
    """A language's tag in prompts and where it came from (``autonym`` or ``english``)."""

    code: str
    text: str
    source: str


def language_tag(code: str) -> Tag:
    """The tag of a FLORES code: its autonym, else its English name."""
    language = resolve_language(code)
    if language.autonym:
        return Tag(language.code, language.autonym, "autonym")
    return Tag(language.code, language.name, "english")


@dataclass(frozen=True)
class Exemplar:
    """One demonstration: a sentence in ``source`` and its rendering in ``target``."""

    source: Tag
    source_text: str
    target: Tag
    target_text: str


def _line(text: str) -> str:
    # A newline inside a sentence would end the answer early and break the template.
    return " ".join(text.split())


def build_prompt(exemplars: Sequence[Exemplar], source: Tag, text: str, target: Tag) -> str:
    """The few-shot prompt (module docstring) for translating ``text`` from ``source`` into
    ``target``; zero-shot when ``exemplars`` is empty."""
    blocks = [
        f"{e.source.text}: {_line(e.source_text)}\n{e.target.text}: {_line(e.target_text)}\n\n"
        for e in exemplars
    ]
    return "".join(blocks) + f"{source.text}: {_line(text)}\n{target.text}:"
