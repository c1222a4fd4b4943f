"""FLORES-200 codes as soft attribution needs them: script, compatible token scripts, and
the wordfreq list to look words up in.

Private on purpose: ``babelscope.languages`` owns the general code tables. This file only
answers "which wordfreq list, if any, speaks for ``xxx_Scrp``" with an explicit table,
because ``wordfreq.get_frequency_dict`` silently substitutes its nearest match — English for
Yoruba or Swahili — which would credit English mass to those languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from babelscope.errors import LanguageError
from babelscope.languages.attribution._scripts import HAN, KANA

_FLORES = re.compile(r"([a-z]{3})_([A-Z][a-z]{3})")

# ISO 639-3 (FLORES individual language) -> wordfreq language code.
_WORDFREQ: dict[str, str] = {
    "arb": "ar",
    "ara": "ar",
    "ben": "bn",
    "bos": "sh",
    "bul": "bg",
    "cat": "ca",
    "ces": "cs",
    "cmn": "zh",
    "dan": "da",
    "deu": "de",
    "ell": "el",
    "eng": "en",
    "fas": "fa",
    "fil": "fil",
    "fin": "fi",
    "fra": "fr",
    "heb": "he",
    "hin": "hi",
    "hrv": "sh",
    "hun": "hu",
    "ind": "id",
    "isl": "is",
    "ita": "it",
    "jpn": "ja",
    "kor": "ko",
    "lav": "lv",
    "lit": "lt",
    "lvs": "lv",
    "mkd": "mk",
    "msa": "ms",
    "nld": "nl",
    "nob": "nb",
    "nor": "nb",
    "pes": "fa",
    "pol": "pl",
    "por": "pt",
    "ron": "ro",
    "rus": "ru",
    "slk": "sk",
    "slv": "sl",
    "spa": "es",
    "srp": "sh",
    "swe": "sv",
    "tam": "ta",
    "tgl": "fil",
    "tur": "tr",
    "ukr": "uk",
    "urd": "ur",
    "vie": "vi",
    "zho": "zh",
    "zsm": "ms",
}

# Written script of a FLORES code -> letter scripts its tokens may contain.
_ACCEPTS: dict[str, frozenset[str]] = {
    "Hans": frozenset({HAN}),
    "Hant": frozenset({HAN}),
    "Hani": frozenset({HAN}),
    "Jpan": frozenset({HAN, KANA}),
    "Kore": frozenset({"Hang", HAN}),
}


@dataclass(frozen=True)
class LanguageSpec:
    """What soft attribution needs to know about one language.

    Attributes:
        code: the FLORES code, e.g. ``zho_Hans``.
        script: its ISO 15924 script, e.g. ``Hans``.
        accepts: letter scripts (as :func:`char_script` names them) a token of it may use.
        wordfreq: the wordfreq list code, or ``None`` when wordfreq has no list for it.
    """

    code: str
    script: str
    accepts: frozenset[str]
    wordfreq: str | None


@cache
def _wordfreq_available() -> frozenset[str]:
    import wordfreq

    return frozenset(wordfreq.available_languages("best"))


def language_spec(code: str) -> LanguageSpec:
    """Resolve a FLORES code (``fra_Latn``); raises :class:`LanguageError` if malformed."""
    match = _FLORES.fullmatch(code)
    if match is None:
        raise LanguageError(
            f"{code!r} is not a FLORES-200 code",
            fix="use the form 'xxx_Scrp', e.g. 'fra_Latn' or 'zho_Hans'",
        )
    iso, script = match.groups()
    wordfreq_code = _WORDFREQ.get(iso)
    if wordfreq_code is not None and wordfreq_code not in _wordfreq_available():
        wordfreq_code = None
    if wordfreq_code == "zh" and script not in ("Hans", "Hant", "Hani"):
        wordfreq_code = None
    return LanguageSpec(
        code=code,
        script=script,
        accepts=_ACCEPTS.get(script, frozenset({script})),
        wordfreq=wordfreq_code,
    )
