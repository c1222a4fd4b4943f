"""Token attribution's view of Unicode scripts, on top of :mod:`babelscope.languages.scripts`.

The name -> script table lives only in ``languages.scripts``; this layer changes what attribution
needs changed and adds what only token bytes need:

* only letters count: digits, punctuation, symbols, combining marks and ``MODIFIER LETTER …``
  characters are script-neutral (``None``), so ``"▁Montag,"`` is one script, not two;
* Hiragana and Katakana are merged into ``Kana``: both mean "Japanese" for attribution;
* a letter without a listed script (``𝐀``, ``〼``, or a letter of a script the table lacks) is
  ``Zzzz``, which no language accepts: a token holding one is left unattributed, not read as if
  the letter were absent;
* a partial UTF-8 character (a byte-fallback token such as ``<0xE4>``) gets the script every
  character it could still become shares.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from babelscope.languages.scripts import COMMON
from babelscope.languages.scripts import char_script as unicode_script

KANA = "Kana"
"""Hiragana and Katakana, merged."""

HAN = "Hani"

UNKNOWN = "Zzzz"
"""ISO 15924 "Unknown": a letter whose script the table does not list."""


@cache
def char_script(char: str) -> str | None:
    """ISO 15924 code of one letter (Hiragana/Katakana both ``Kana``), ``Zzzz`` for a letter of
    an unlisted script, ``None`` for anything that is not a letter (or a modifier letter)."""
    if unicodedata.category(char)[0] != "L":
        return None
    script = unicode_script(char)
    if script == "Hira":
        return KANA
    if script == COMMON:
        return None if unicodedata.name(char, "").startswith("MODIFIER LETTER") else UNKNOWN
    return script


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
# A byte-level token may hold invalid UTF-8 such as b"\xf4\x90", whose range lies past Unicode.
_LAST_CODE_POINT = 0x10FFFF


@cache
def partial_char_script(prefix: bytes) -> str | None:
    """The script a partial UTF-8 character must belong to, if its bytes already decide it.

    ``prefix`` is a lead byte plus zero or more continuation bytes, fewer than the character
    needs. The characters it can still become form a code-point range; when every letter in
    that range has the same script (``\\xd0`` -> Cyrillic, ``\\xe4`` -> Han, ``\\xe3\\x81`` ->
    kana) that script is returned. Ranges wider than 4096 code points, or past U+10FFFF, are not
    examined."""
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
    if hi - lo + 1 > _MAX_RANGE or lo > _LAST_CODE_POINT:
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
