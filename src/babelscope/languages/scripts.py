"""Which writing system a piece of text is in.

Token attribution needs the script of tokens like ``"▁Montag"`` or ``"月"`` millions of times, and
it must not depend on a model or on network data, so this reads the script off each character's
Unicode name (``unicodedata.name``: ``"LATIN SMALL LETTER A"``, ``"CJK UNIFIED IDEOGRAPH-6708"``)
and maps the name's leading words to an ISO 15924 code.

Han characters cannot be told apart as simplified or traditional from their names, so they map to
``Hani``; Han mixed with kana is Japanese (``Jpan``). Digits, punctuation, spaces and symbols carry
no script and are ignored; text with no letters at all is ``Zyyy`` (ISO 15924 "Common").

This is the package's only name -> script table: token attribution
(``languages.attribution._scripts``) layers its letter-only, kana-merged view on top of it, so a
script added here reaches both.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import lru_cache

#: ISO 15924 code for text without any script-bearing character (digits, punctuation, emoji).
COMMON = "Zyyy"

# Leading words of Unicode character names -> ISO 15924. Longer prefixes are tried first, so
# "CJK UNIFIED IDEOGRAPH" wins over anything shorter and a longer prefix mapped to COMMON carves an
# exception out of a script. Covers every script used by FLORES-200/SIB-200 plus the other scripts
# a multilingual tokenizer commonly contains.
_NAME_PREFIXES: dict[str, str] = {
    "LATIN": "Latn",
    "FULLWIDTH LATIN": "Latn",
    "CYRILLIC": "Cyrl",
    "GREEK": "Grek",
    "COPTIC": "Copt",
    "COPTIC EPACT": COMMON,  # Epact numbers and their mark are Common/Inherited, not Coptic
    "ARMENIAN": "Armn",
    "GEORGIAN": "Geor",
    "HEBREW": "Hebr",
    "ARABIC": "Arab",
    "SYRIAC": "Syrc",
    "SAMARITAN": "Samr",
    "MANDAIC": "Mand",
    "THAANA": "Thaa",
    "NKO": "Nkoo",
    "DEVANAGARI": "Deva",
    "BENGALI": "Beng",
    "GURMUKHI": "Guru",
    "GUJARATI": "Gujr",
    "ORIYA": "Orya",
    "TAMIL": "Taml",
    "TELUGU": "Telu",
    "KANNADA": "Knda",
    "MALAYALAM": "Mlym",
    "SINHALA": "Sinh",
    "THAI": "Thai",
    "LAO": "Laoo",
    "TIBETAN": "Tibt",
    "MYANMAR": "Mymr",
    "KHMER": "Khmr",
    "ETHIOPIC": "Ethi",
    "TIFINAGH": "Tfng",
    "OL CHIKI": "Olck",
    "MEETEI MAYEK": "Mtei",
    "MONGOLIAN": "Mong",
    "CHEROKEE": "Cher",
    "CANADIAN SYLLABICS": "Cans",
    "OGHAM": "Ogam",
    "RUNIC": "Runr",
    "HANGUL": "Hang",
    "HALFWIDTH HANGUL": "Hang",
    "HIRAGANA": "Hira",
    "KATAKANA": "Kana",
    "HALFWIDTH KATAKANA": "Kana",
    "KATAKANA-HIRAGANA": "Kana",
    "CJK UNIFIED IDEOGRAPH": "Hani",
    "CJK COMPATIBILITY IDEOGRAPH": "Hani",
    "IDEOGRAPHIC ITERATION MARK": "Hani",
    "BOPOMOFO": "Bopo",
    "YI": "Yiii",
    "VAI": "Vaii",
    "ADLAM": "Adlm",
    "JAVANESE": "Java",
    "BALINESE": "Bali",
    "SUNDANESE": "Sund",
    "BUGINESE": "Bugi",
}
_PREFIXES_LONGEST_FIRST = sorted(_NAME_PREFIXES, key=len, reverse=True)


@lru_cache(maxsize=65536)
def char_script(char: str) -> str:
    """ISO 15924 code of one character, or ``Zyyy`` when it carries no script.

    Only letters and combining marks count: a Devanagari vowel sign belongs to Devanagari, but a
    digit or a dash does not tell which language a token is in.
    """
    category = unicodedata.category(char)
    if category[0] not in "LM":
        return COMMON
    name = unicodedata.name(char, "")
    for prefix in _PREFIXES_LONGEST_FIRST:
        if name.startswith(prefix) and (len(name) == len(prefix) or name[len(prefix)] in " -"):
            return _NAME_PREFIXES[prefix]
    return COMMON


def script_counts(text: str) -> Counter[str]:
    """How many script-bearing characters of each ISO 15924 script ``text`` contains."""
    counts: Counter[str] = Counter()
    for char in text:
        script = char_script(char)
        if script != COMMON:
            counts[script] += 1
    return counts


def script_of(text: str) -> str:
    """Dominant ISO 15924 script of ``text`` (``"Latn"``, ``"Cyrl"``, ``"Hani"``, ``"Jpan"``, …).

    Han plus any kana counts as Japanese (``Jpan``); Hangul stays ``Hang`` (FLORES writes Korean as
    ``kor_Hang``). Ties go to the script whose first character comes first, so the answer is
    deterministic. Text without letters returns ``"Zyyy"``.
    """
    counts = script_counts(text)
    if not counts:
        return COMMON
    kana = counts.pop("Hira", 0) + counts.pop("Kana", 0)
    if kana:
        counts["Jpan"] = kana + counts.pop("Hani", 0)
    # Counter.most_common is stable on insertion order, which follows the text.
    return counts.most_common(1)[0][0]
