"""A small private Unicode script detector (ISO 15924) for token attribution.

Python's ``unicodedata`` has no script property, but the first word(s) of a letter's Unicode
name name its script ("CYRILLIC SMALL LETTER KA", "CJK UNIFIED IDEOGRAPH-4E66"). That is
enough to tell which languages could have written a token; ``babelscope.languages.registry``
carries the full table for other uses. Only letters count: digits, punctuation, symbols and
combining marks are script-neutral (``None``).
"""

from __future__ import annotations

import unicodedata
from functools import cache

# Hiragana and Katakana are merged: both mean "Japanese" for attribution.
KANA = "Kana"
HAN = "Hani"

_NAME_PREFIX_TO_SCRIPT: dict[str, str] = {
    "LATIN": "Latn",
    "CYRILLIC": "Cyrl",
    "GREEK": "Grek",
    "COPTIC": "Copt",
    "ARMENIAN": "Armn",
    "HEBREW": "Hebr",
    "ARABIC": "Arab",
    "SYRIAC": "Syrc",
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
    "GEORGIAN": "Geor",
    "HANGUL": "Hang",
    "ETHIOPIC": "Ethi",
    "CHEROKEE": "Cher",
    "CANADIAN": "Cans",
    "OGHAM": "Ogam",
    "RUNIC": "Runr",
    "KHMER": "Khmr",
    "MONGOLIAN": "Mong",
    "HIRAGANA": KANA,
    "KATAKANA": KANA,
    "BOPOMOFO": "Bopo",
    "CJK": HAN,
    "IDEOGRAPHIC": HAN,
    "YI": "Yiii",
    "TIFINAGH": "Tfng",
    "OL": "Olck",
    "ADLAM": "Adlm",
    "VAI": "Vaii",
    "JAVANESE": "Java",
    "BALINESE": "Bali",
    "SUNDANESE": "Sund",
    "SAMARITAN": "Samr",
    "MANDAIC": "Mand",
}


_SPECIAL_NAME_PREFIXES: tuple[tuple[str, str | None], ...] = (
    ("KATAKANA-HIRAGANA", KANA),
    ("MODIFIER LETTER", None),
    ("HALFWIDTH KATAKANA", KANA),
    ("HALFWIDTH HANGUL", "Hang"),
    ("FULLWIDTH LATIN", "Latn"),
)


@cache
def char_script(char: str) -> str | None:
    """ISO 15924 code of one letter (Hiragana/Katakana both ``Kana``), ``Zzzz`` for a letter of
    an unlisted script, ``None`` for anything that is not a letter (or a modifier letter)."""
    if unicodedata.category(char)[0] != "L":
        return None
    name = unicodedata.name(char, "")
    for prefix, special in _SPECIAL_NAME_PREFIXES:
        if name.startswith(prefix):
            return special
    return _NAME_PREFIX_TO_SCRIPT.get(name.split(" ", 1)[0], "Zzzz")


def _range_script(lo: int, hi: int) -> str | None:
    """The one script of every letter in code points ``[lo, hi]``, else ``None``."""
    found: str | None = None
    for code_point in range(lo, hi + 1):
        if 0xD800 <= code_point <= 0xDFFF:
            continue
        script = char_script(chr(code_point))
        if script is None:
            continue
        if found is None:
            found = script
        elif script != found:
            return None
    return found


_MAX_RANGE = 4096


@cache
def partial_char_script(prefix: bytes) -> str | None:
    """The script a partial UTF-8 character must belong to, if its bytes already decide it.

    ``prefix`` is a lead byte plus zero or more continuation bytes, fewer than the character
    needs. The characters it can still become form a code-point range; when every letter in
    that range has the same script (``\\xd0`` -> Cyrillic, ``\\xe4`` -> Han, ``\\xe3\\x81`` ->
    kana) that script is returned. Ranges wider than 4096 code points are not examined."""
    if not prefix:
        return None
    lead = prefix[0]
    if 0xC2 <= lead <= 0xDF:
        length, bits = 2, lead & 0x1F
    elif 0xE0 <= lead <= 0xEF:
        length, bits = 3, lead & 0x0F
    elif 0xF0 <= lead <= 0xF4:
        length, bits = 4, lead & 0x07
    else:
        return None
    if len(prefix) >= length or any(b & 0xC0 != 0x80 for b in prefix[1:]):
        return None
    for b in prefix[1:]:
        bits = (bits << 6) | (b & 0x3F)
    missing = length - len(prefix)
    lo = bits << (6 * missing)
    hi = lo + (1 << (6 * missing)) - 1
    if hi - lo + 1 > _MAX_RANGE:
        return None
    return _range_script(lo, hi)


def incomplete_tail(data: bytes) -> bytes:
    """The trailing bytes of ``data`` that start a UTF-8 character but do not finish it."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 == 0x80:
            continue
        needed = 2 if byte >= 0xC0 else 1
        needed = 3 if byte >= 0xE0 else needed
        needed = 4 if byte >= 0xF0 else needed
        return data[-back:] if needed > back else b""
    return b""
