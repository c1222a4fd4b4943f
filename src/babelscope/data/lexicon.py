"""A multilingual concept lexicon: the words for one concept (``monday``, ``hour``) per language.

The latent-language analysis asks, layer by layer, how much next-token probability goes to the
word for a concept in each language, so it needs translations that exist offline for ~150
languages. :func:`builtin_lexicon` derives them at run time from the CLDR data shipped in
``babel`` (weekdays, months, units, conjunctions; see :mod:`babelscope.data._lexicon_cldr` for
the cleaning rules), and :func:`load_lexicon` reads a user's own CSV/TSV file with the same shape.

Languages are always FLORES-200 codes (``fra_Latn``); any spelling accepted by
:func:`~babelscope.languages.registry.resolve_language` may be used to ask. For each
(concept, language) the first word is the primary one and the rest are synonyms or inflected
variants (``январь``, ``января``). Built-in words are lower case; user words are kept as written.

``LEXICON_VERSION`` names the babel/CLDR release and the cleaning-rules version, so run manifests
can record exactly which word lists produced a result. It is computed on first access, keeping
``import babelscope.data.lexicon`` free of babel.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from babelscope.errors import DataError, LanguageError
from babelscope.languages.registry import resolve_language

if TYPE_CHECKING:
    import pandas as pd

#: Columns of a lexicon file, in the order :meth:`Lexicon.save` writes them.
FILE_COLUMNS = ("concept", "language", "word", "synonyms")
_REQUIRED_COLUMNS = ("concept", "language", "word")
SYNONYM_SEPARATOR = "|"


class Lexicon:
    """Immutable mapping concept -> FLORES language code -> words (primary first).

    Args:
        entries: ``{concept: {language: [word, synonym, ...]}}``; languages in any form
            :func:`resolve_language` accepts; empty word lists are dropped.
        version: provenance string recorded in manifests (see :data:`LEXICON_VERSION`).

    Raises:
        LanguageError: a language key is unknown.
        DataError: a word is not a non-empty string.
    """

    def __init__(
        self, entries: Mapping[str, Mapping[str, Sequence[str]]], *, version: str = "custom"
    ) -> None:
        self.version = version
        codes: dict[str, str] = {}
        table: dict[str, dict[str, tuple[str, ...]]] = {}
        for concept, by_language in entries.items():
            concept_id = str(concept).strip()
            if not concept_id:
                raise DataError("lexicon concept ids must be non-empty")
            for language, words in by_language.items():
                if language not in codes:
                    codes[language] = resolve_language(language).code
                cleaned = _clean_words(words, concept_id, codes[language])
                if cleaned:
                    merged = table.setdefault(concept_id, {}).get(codes[language], ())
                    table[concept_id][codes[language]] = _dedup((*merged, *cleaned))
        self._table = {
            concept: dict(sorted(by_language.items())) for concept, by_language in table.items()
        }

    # -- queries ---------------------------------------------------------------------------

    def concepts(self) -> list[str]:
        """Concept ids in lexicon order (built-in: weekdays, months, units, …)."""
        return list(self._table)

    def languages(self) -> list[str]:
        """FLORES codes with at least one word, sorted."""
        return sorted({code for by_language in self._table.values() for code in by_language})

    def words(self, concept: str, language: str) -> list[str]:
        """Words for ``concept`` in ``language`` (primary first); ``[]`` if that language lacks it.

        Raises:
            DataError: ``concept`` is not in the lexicon (the message suggests close ids).
            LanguageError: ``language`` is not a known language code.
        """
        by_language = self._concept(concept)
        return list(by_language.get(resolve_language(language).code, ()))

    def primary(self, concept: str, language: str) -> str | None:
        """The primary word for ``concept`` in ``language``, or ``None`` if it has none."""
        words = self.words(concept, language)
        return words[0] if words else None

    def coverage(self) -> dict[str, int]:
        """Number of concepts with at least one word, per FLORES code (sorted by code)."""
        counts: dict[str, int] = {}
        for by_language in self._table.values():
            for code in by_language:
                counts[code] = counts.get(code, 0) + 1
        return dict(sorted(counts.items()))

    def concept_coverage(self) -> dict[str, int]:
        """Number of languages per concept, in lexicon order."""
        return {concept: len(by_language) for concept, by_language in self._table.items()}

    def entries(self) -> Iterator[tuple[str, str, tuple[str, ...]]]:
        """``(concept, language, words)`` for every entry, in lexicon order."""
        for concept, by_language in self._table.items():
            for code, words in by_language.items():
                yield concept, code, words

    def to_frame(self) -> pd.DataFrame:
        """Tidy table, one row per word: ``concept, language, rank, word`` (rank 0 = primary)."""
        import pandas as pd

        rows = [
            (concept, code, rank, word)
            for concept, code, words in self.entries()
            for rank, word in enumerate(words)
        ]
        return pd.DataFrame(rows, columns=["concept", "language", "rank", "word"])

    def fingerprint(self) -> str:
        """SHA-256 of the canonical content (order-independent), for run manifests."""
        canonical = {
            c: {lang: list(w) for lang, w in sorted(d.items())} for c, d in self._table.items()
        }
        payload = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    # -- derived lexicons --------------------------------------------------------------------

    def restrict(
        self,
        *,
        concepts: Sequence[str] | None = None,
        languages: Sequence[str] | None = None,
        min_languages: int = 0,
    ) -> Lexicon:
        """Sub-lexicon with only the given concepts/languages, and concepts covering at least
        ``min_languages`` of the remaining languages (useful to compare languages on equal terms).
        """
        keep_concepts = None if concepts is None else [self._check(c) for c in concepts]
        keep_codes = None if languages is None else {resolve_language(x).code for x in languages}
        table: dict[str, dict[str, tuple[str, ...]]] = {}
        for concept in keep_concepts if keep_concepts is not None else self._table:
            by_language = {
                code: words
                for code, words in self._table[concept].items()
                if keep_codes is None or code in keep_codes
            }
            if by_language and len(by_language) >= min_languages:
                table[concept] = by_language
        return Lexicon(table, version=self.version)

    def merge(self, other: Lexicon, *, replace: bool = True) -> Lexicon:
        """Combine two lexicons. Where both have a (concept, language), ``other``'s words win
        (``replace=True``, e.g. a user file correcting the built-in one) or are appended after
        this lexicon's words (``replace=False``)."""
        table: dict[str, dict[str, tuple[str, ...]]] = {
            concept: dict(by_language) for concept, by_language in self._table.items()
        }
        for concept, code, words in other.entries():
            current = table.setdefault(concept, {}).get(code, ())
            table[concept][code] = words if replace or not current else _dedup((*current, *words))
        return Lexicon(table, version=f"{self.version}+{other.version}")

    # -- files -------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write a TSV that :func:`load_lexicon` reads back to an equal lexicon."""
        path = Path(path)
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
        writer.writerow(FILE_COLUMNS)
        for concept, code, words in self.entries():
            for word in words:
                if SYNONYM_SEPARATOR in word or "\t" in word or "\n" in word:
                    raise DataError(
                        f"cannot save word {word!r} ({concept}, {code}): it contains a tab, "
                        f"newline or {SYNONYM_SEPARATOR!r}",
                        fix="remove those characters from the word",
                    )
            writer.writerow([concept, code, words[0], SYNONYM_SEPARATOR.join(words[1:])])
        path.write_text(buffer.getvalue(), encoding="utf-8")
        return path

    # -- dunder ------------------------------------------------------------------------------

    def __len__(self) -> int:
        """Number of (concept, language) entries."""
        return sum(len(by_language) for by_language in self._table.values())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Lexicon) and self._table == other._table

    __hash__ = None  # type: ignore[assignment]  # equality is by content; instances are not keys

    def __repr__(self) -> str:
        return (
            f"Lexicon({len(self._table)} concepts, {len(self.languages())} languages, "
            f"{len(self)} entries, version={self.version!r})"
        )

    # -- helpers -----------------------------------------------------------------------------

    def _check(self, concept: str) -> str:
        self._concept(concept)
        return concept

    def _concept(self, concept: str) -> dict[str, tuple[str, ...]]:
        found = self._table.get(concept)
        if found is None:
            close = difflib.get_close_matches(concept, list(self._table), n=3)
            hint = f"did you mean {', '.join(close)}?" if close else "see Lexicon.concepts()"
            raise DataError(f"unknown concept {concept!r}", fix=hint)
        return found


def _dedup(words: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(words))


def _clean_words(words: Sequence[str], concept: str, code: str) -> tuple[str, ...]:
    if isinstance(words, str):
        words = [words]
    cleaned = []
    for word in words:
        if not isinstance(word, str) or not word.strip():
            raise DataError(f"empty or non-text word for concept {concept!r} in {code}: {word!r}")
        cleaned.append(word.strip())
    return _dedup(cleaned)


# -- built-in lexicon ------------------------------------------------------------------------


def lexicon_version(*, allow_multiword: bool = False) -> str:
    """``cldr<N>-babel<version>-rules<N>`` (plus ``-multiword``): what the built-in lexicon is."""
    import babel
    from babel.core import get_cldr_version

    from babelscope.data._lexicon_cldr import RULES_VERSION

    suffix = "-multiword" if allow_multiword else ""
    return f"cldr{get_cldr_version()}-babel{babel.__version__}-rules{RULES_VERSION}{suffix}"


def __getattr__(name: str) -> str:
    """Lazy ``LEXICON_VERSION`` so that importing this module does not import babel."""
    if name == "LEXICON_VERSION":
        return lexicon_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@lru_cache(maxsize=2)
def builtin_lexicon(*, allow_multiword: bool = False) -> Lexicon:
    """The CLDR-derived lexicon (built once per process, ~1 s; deterministic per babel version).

    ``allow_multiword`` keeps entries of several words (Vietnamese ``thứ hai``), which are
    dropped by default because a single first token cannot stand for them.
    """
    from babelscope.data._lexicon_cldr import build_entries

    entries = build_entries(allow_multiword=allow_multiword)
    return Lexicon(entries, version=lexicon_version(allow_multiword=allow_multiword))


# -- user files ------------------------------------------------------------------------------


def load_lexicon(path: str | Path) -> Lexicon:
    """Read a CSV or TSV lexicon with a header row naming ``concept, language, word[, synonyms]``.

    ``synonyms`` holds extra words separated by ``|``; ``language`` may be any code
    :func:`resolve_language` accepts; column order is free and extra columns are ignored; blank
    lines and lines starting with ``#`` are skipped; several rows for the same concept and
    language add up. ``.tsv``/``.tab`` files are tab-separated, ``.csv`` comma-separated, others
    are sniffed from the header.

    Raises:
        DataError: naming the file and line, for a missing file or column, an empty word or
            concept, an unknown language, or a row with more fields than the header.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"lexicon file {path} not found", fix="check the path")
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not UTF-8 text ({err.reason})", fix="save it as UTF-8") from err
    first_line = text.split("\n", 1)[0]
    if path.suffix.lower() in (".tsv", ".tab"):
        delimiter = "\t"
    elif path.suffix.lower() == ".csv":
        delimiter = ","
    else:
        delimiter = "\t" if "\t" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise DataError(f"{path}: empty file", fix="add a header row: concept, language, word")
    columns = [cell.strip().lower() for cell in header]
    missing = [name for name in _REQUIRED_COLUMNS if name not in columns]
    if missing:
        found = ", ".join(repr(cell) for cell in header)
        raise DataError(
            f"{path}, line 1: header lacks column {', '.join(map(repr, missing))} (found {found})",
            fix="the first row must name the columns concept, language, word[, synonyms]",
        )
    index = {name: columns.index(name) for name in FILE_COLUMNS if name in columns}
    entries: dict[str, dict[str, list[str]]] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        concept, code, words = _parse_row(row, index, len(header), path, line)
        entries.setdefault(concept, {}).setdefault(code, []).extend(words)
    if not entries:
        raise DataError(
            f"{path}: no entries below the header", fix="add rows: concept, language, word"
        )
    digest = hashlib.sha256(raw).hexdigest()[:16]
    return Lexicon(entries, version=f"file:{path.name}@sha256:{digest}")


def _parse_row(
    row: list[str], index: dict[str, int], width: int, path: Path, line: int
) -> tuple[str, str, list[str]]:
    """Validate one data row; return (concept, FLORES code, words)."""
    where = f"{path}, line {line}"
    if len(row) > width:
        raise DataError(
            f"{where}: {len(row)} fields but the header has {width}",
            fix="quote fields that contain the delimiter",
        )
    values: dict[str, str] = {}
    for name in _REQUIRED_COLUMNS:
        position = index[name]
        if position >= len(row):
            raise DataError(f"{where}: missing column {name!r}", fix="give every row a word")
        values[name] = row[position].strip()
        if not values[name]:
            raise DataError(f"{where}: empty {name}", fix=f"fill in the {name} or delete the row")
    try:
        code = resolve_language(values["language"]).code
    except LanguageError as err:
        raise DataError(f"{where}: {err.problem}", fix=err.fix) from err
    synonyms_at = index.get("synonyms")
    synonyms = row[synonyms_at] if synonyms_at is not None and synonyms_at < len(row) else ""
    extra = [word.strip() for word in synonyms.split(SYNONYM_SEPARATOR) if word.strip()]
    return values["concept"], code, [values["word"], *extra]
