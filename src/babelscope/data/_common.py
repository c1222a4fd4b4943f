"""Helpers shared by the parallel-data loaders: strict decoding, helpful suggestions, hashing."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable, Mapping, Sequence

from babelscope.errors import DataError

#: FLORES-200 codes that FLORES+ (``openlanguagedata/flores_plus``) publishes under another
#: name. Partial on purpose — only renames we have checked; pass ``aliases=`` to add more.
FLORES_PLUS_RENAMES: dict[str, str] = {
    "zho_Hans": "cmn_Hans",
    "zho_Hant": "cmn_Hant",
    "est_Latn": "ekk_Latn",
}

#: Prefer English as the reference language when checking that files are parallel.
REFERENCE_LANGUAGE = "eng_Latn"


def decode_text(data: bytes, where: str) -> str:
    """UTF-8 text of a file, BOM dropped; a bad byte is reported by file, line and column,
    because a silently replaced character would change what the model sees."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise DataError(
            f"{where} line {line} is not valid UTF-8 "
            f"(byte 0x{data[err.start]:02x} at byte column {column})",
            fix="re-save the file as UTF-8 (e.g. `iconv -t UTF-8`) or re-download the dataset",
        ) from err
    return text.removeprefix("\ufeff")


def split_lines(text: str) -> list[str]:
    """One entry per line. Only ``\\n`` separates lines (``str.splitlines`` would also split on
    U+2028 and friends, which occur inside real sentences); a final newline ends the last line
    rather than starting an empty one, and a trailing ``\\r`` is dropped."""
    if text.endswith("\n"):
        text = text[:-1]
    if not text:
        return []
    return [line.removesuffix("\r") for line in text.split("\n")]


def resolve_code(code: str, available: Sequence[str], aliases: Mapping[str, str]) -> str | None:
    """``code`` itself if available, else its alias in either direction (FLORES-200 ↔ FLORES+)."""
    if code in available:
        return code
    renamed = aliases.get(code)
    if renamed is not None and renamed in available:
        return renamed
    for old, new in aliases.items():
        if new == code and old in available:
            return old
    return None


def close_codes(code: str, available: Iterable[str], limit: int = 5) -> list[str]:
    """Codes a user probably meant: same ISO 639-3 prefix first, then spelling neighbours."""
    pool = sorted(set(available))
    prefix = code.split("_", maxsplit=1)[0].lower()
    same_language = [c for c in pool if c.split("_", maxsplit=1)[0].lower() == prefix]
    spelled = difflib.get_close_matches(code, pool, n=limit, cutoff=0.6)
    ordered = list(dict.fromkeys([*same_language, *spelled]))
    return ordered[:limit]


def missing_language_fix(code: str, available: Sequence[str], listing: str) -> str:
    """The ``fix=`` text for an unknown language: close matches and where to see all codes."""
    near = close_codes(code, available)
    hint = f"did you mean {', '.join(near)}? " if near else ""
    return f"{hint}{listing} lists all {len(available)} codes (FLORES-200 style, e.g. fra_Latn)"


def hash_texts(texts: Mapping[str, Sequence[str]]) -> str:
    """sha256 of exactly these texts, keyed by language; independent of the mapping's order.

    Each language contributes its code, its sentence count and its sentences, separated by
    bytes that cannot occur in the text, so two different selections never hash alike."""
    digest = hashlib.sha256()
    for code in sorted(texts):
        sentences = texts[code]
        digest.update(f"{code}\x1f{len(sentences)}\x1e".encode())
        for sentence in sentences:
            digest.update(sentence.encode("utf-8"))
            digest.update(b"\x1e")
        digest.update(b"\x1d")
    return digest.hexdigest()


def check_count(n: int | None, available: int, what: str) -> int:
    """How many items to take: all when ``n`` is None; an error when more are asked for."""
    if n is None:
        return available
    if n < 0:
        raise DataError(f"asked for {n} sentences of {what}", fix="pass n >= 0, or n=None for all")
    if n > available:
        raise DataError(
            f"asked for {n} sentences of {what} but it has only {available}",
            fix=f"pass n <= {available}, or n=None for all",
        )
    return n
