"""Helpers shared by the parallel-data loaders: strict decoding, helpful suggestions, hashing,
and :class:`ParallelDataset`, the part of a loader that does not depend on its file layout."""

from __future__ import annotations

import difflib
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import ClassVar, Generic, Protocol, TypeVar

from babelscope.data._files import FileTree, open_tree
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


def read_text(tree: FileTree, rel: str) -> str:
    """The decoded text of the file ``rel`` (see :func:`decode_text`)."""
    return decode_text(tree.read_bytes(rel), tree.where(rel))


def read_optional_text(tree: FileTree, rel: str) -> str | None:
    """Like :func:`read_text`, or None when there is no such file (optional side files)."""
    return read_text(tree, rel) if tree.is_file(rel) else None


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


def reference_code(available: Sequence[str]) -> str | None:
    """The language other files are checked against: English if present, else the first."""
    if not available:
        return None
    return REFERENCE_LANGUAGE if REFERENCE_LANGUAGE in available else available[0]


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


class Backend(Protocol):
    """What every loader backend (local files or the hub) has: a label for manifests."""

    label: str


BackendT = TypeVar("BackendT", bound=Backend)
_Dataset = TypeVar("_Dataset", bound="ParallelDataset")


class ParallelDataset(ABC, Generic[BackendT]):
    """A parallel dataset read through a backend, with FLORES-200 ↔ FLORES+ code aliases.

    FLORES and SIB-200 differ in layout and checks but open, name and resolve languages the same
    way; subclasses supply the two backends (:meth:`_local`, :meth:`_hub`), ``what`` (the
    dataset's name in messages) and ``layout_fix`` (what a valid local source looks like).
    ``aliases`` maps old → new codes and defaults to :data:`FLORES_PLUS_RENAMES`.
    """

    what: ClassVar[str]
    layout_fix: ClassVar[str]

    def __init__(self, backend: BackendT, *, aliases: Mapping[str, str] | None = None) -> None:
        self.backend = backend
        self.aliases = dict(FLORES_PLUS_RENAMES if aliases is None else aliases)

    @classmethod
    @abstractmethod
    def _local(cls, tree: FileTree) -> BackendT:
        """The backend reading this dataset's layout from ``tree``."""

    @classmethod
    @abstractmethod
    def _hub(cls, token: str | None) -> BackendT:
        """The hub backend (imported on use: it needs the optional ``datasets`` package)."""

    @classmethod
    def open(
        cls: type[_Dataset], source: str | Path, *, aliases: Mapping[str, str] | None = None
    ) -> _Dataset:
        """Open a local directory or tarball. Cheap: files are listed and read on first use."""
        tree = open_tree(source, what=cls.what, fix=cls.layout_fix)
        return cls(cls._local(tree), aliases=aliases)

    @classmethod
    def from_hub(
        cls: type[_Dataset], *, token: str | None = None, aliases: Mapping[str, str] | None = None
    ) -> _Dataset:
        """The dataset from the Hugging Face hub; the class docstring names the repository."""
        return cls(cls._hub(token), aliases=aliases)

    @property
    def source(self) -> str:
        """Where the data comes from, for manifests."""
        return self.backend.label

    def _resolve_in(self, lang: str, available: Sequence[str], *, where: str, listing: str) -> str:
        """The code ``available`` uses for ``lang``; a DataError naming ``where`` (e.g.
        ``FLORES dev``) and suggesting codes, with ``listing`` saying how to see them all."""
        code = resolve_code(lang, available, self.aliases)
        if code is None:
            raise DataError(
                f"language {lang!r} is not in {where} at {self.source}",
                fix=missing_language_fix(lang, available, listing),
            )
        return code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.source!r})"
