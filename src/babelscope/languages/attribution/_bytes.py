"""Byte-level helpers: GPT-2's bytes-to-unicode table and SentencePiece byte-fallback tokens.

Byte-level BPE (GPT-2, SmolLM, Qwen, Llama 3) stores every token as a string in which each
byte is replaced by a printable stand-in character (space -> ``Ġ``, newline -> ``Ċ``, byte
0xE4 -> ``ä``, …). To compare tokens with words we need those bytes back; a token may hold
half a multi-byte character, so the result is ``bytes``, not ``str``.
"""

from __future__ import annotations

import re
from functools import cache

_BYTE_FALLBACK = re.compile(r"<0x([0-9A-Fa-f]{2})>")


@cache
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character table (256 entries).

    Printable Latin-1 bytes map to themselves; the other 68 bytes (controls, space, 0x7F-0xA0,
    0xAD) map to U+0100 onwards, in byte order."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    table = {b: chr(b) for b in printable}
    shifted = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + shifted)
            shifted += 1
    return table


@cache
def _unicode_to_latin1() -> dict[int, int]:
    """``str.translate`` table: stand-in character -> the code point equal to its byte."""
    return {ord(char): byte for byte, char in bytes_to_unicode().items()}


@cache
def byte_alphabet() -> frozenset[str]:
    """The 256 stand-in characters a byte-level token string is made of."""
    return frozenset(bytes_to_unicode().values())


def byte_level_to_bytes(raw: str) -> bytes:
    """Undo the byte-to-unicode mapping of one byte-level token string.

    Characters outside the table (hand-written or added tokens that slipped through) are kept
    as their own UTF-8 encoding rather than rejected."""
    translated = raw.translate(_unicode_to_latin1())
    try:
        return translated.encode("latin-1")
    except UnicodeEncodeError:
        table = _unicode_to_latin1()
        out = bytearray()
        for char in raw:
            byte = table.get(ord(char))
            if byte is None:
                out += char.encode("utf-8")
            else:
                out.append(byte)
        return bytes(out)


def bytes_to_byte_level(data: bytes) -> str:
    """The byte-level token string for ``data`` (inverse of :func:`byte_level_to_bytes`)."""
    table = bytes_to_unicode()
    return "".join(table[b] for b in data)


def parse_byte_fallback(raw: str) -> int | None:
    """The byte value of a SentencePiece byte-fallback token such as ``<0xE4>``, else ``None``."""
    if len(raw) != 6:
        return None
    match = _BYTE_FALLBACK.fullmatch(raw)
    return int(match.group(1), 16) if match else None


def byte_fallback_token(byte: int) -> str:
    """The byte-fallback token string for one byte value: ``0xE4`` -> ``<0xE4>``."""
    return f"<0x{byte:02X}>"


def utf8_char_starts(data: bytes) -> list[int]:
    """Offsets in ``data`` at which a UTF-8 character starts (non-continuation bytes)."""
    return [i for i, b in enumerate(data) if b & 0xC0 != 0x80]


def utf8_touch_ends(data: bytes) -> list[int]:
    """For each character of ``data``, the prefix length at which the prefix *touches* it.

    A character is touched once the prefix holds more than its lead byte: its only byte
    (ASCII), or its lead byte plus one continuation byte, which leaves at most 64 candidate
    characters. A bare lead byte does not touch anything: ``\xd0``/``\xd1`` open most of the
    Cyrillic alphabet, ``\xe4`` four thousand Han characters, so a byte-fallback ``<0xD0>``
    token is evidence for a script, never for a word."""
    starts = utf8_char_starts(data)
    stops = [*starts[1:], len(data)]
    return [start + min(2, stop - start) for start, stop in zip(starts, stops, strict=True)]
