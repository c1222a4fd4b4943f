"""FLORES-200: the same ~1000 sentences in 204 languages, one sentence per line.

Line *i* of every ``<code>.<split>`` file is the same sentence, so every metric that compares
languages (MEXA, CKA, retrieval) relies on the files being truly parallel. The loader therefore
refuses files whose line count differs from the split's reference (the ``metadata_<split>.tsv``
row count when present, else English, else the first language) instead of silently truncating.

Accepted sources: the original tarball (``.tar.gz`` / ``.tar.xz``), its unpacked directory
(``…/flores200_dataset``), a folder containing it, a folder with ``<split>/<code>.<split>``
directly, or the hub (:meth:`FloresDataset.from_hub`, see :mod:`babelscope.data.hub`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Protocol

import pandas as pd

from babelscope.data._common import (
    ParallelDataset,
    check_count,
    hash_texts,
    read_optional_text,
    read_text,
    reference_code,
    split_lines,
)
from babelscope.data._files import DatasetFolder, FileTree, join
from babelscope.errors import DataError

_LAYOUT_FIX = (
    "pass the FLORES-200 tarball (.tar.gz/.tar.xz), its flores200_dataset/ directory, "
    "or a folder holding <split>/<code>.<split> files (e.g. dev/fra_Latn.dev)"
)


class FloresBackend(Protocol):
    """Where FLORES text comes from (local files or the hub); codes here are exact file codes."""

    label: str

    def splits(self) -> list[str]: ...

    def languages(self, split: str) -> list[str]: ...

    def lines(self, code: str, split: str) -> list[str]: ...

    def where(self, code: str, split: str) -> str: ...

    def metadata(self, split: str) -> pd.DataFrame | None: ...

    def metadata_where(self, split: str) -> str: ...


class FloresFiles(DatasetFolder):
    """FLORES files in a :class:`FileTree` rooted at the folder that holds the split folders."""

    preferred = ("", "flores200_dataset")
    missing = "no FLORES-200 split folders found"
    fix = _LAYOUT_FIX

    def is_root(self, folder: str) -> bool:
        return bool(self._split_names(folder))

    def _split_names(self, root: str) -> list[str]:
        names = []
        for child in self.tree.listdir(root):
            folder = join(root, child)
            if self.tree.is_dir(folder) and self.stems(folder, f".{child}"):
                names.append(child)
        return names

    def splits(self) -> list[str]:
        return self._split_names(self.root)

    def languages(self, split: str) -> list[str]:
        return sorted(self.stems(join(self.root, split), f".{split}", files_only=True))

    def _rel(self, code: str, split: str) -> str:
        return join(self.root, split, f"{code}.{split}")

    def lines(self, code: str, split: str) -> list[str]:
        return split_lines(read_text(self.tree, self._rel(code, split)))

    def where(self, code: str, split: str) -> str:
        return self.tree.where(self._rel(code, split))

    def metadata(self, split: str) -> pd.DataFrame | None:
        text = read_optional_text(self.tree, join(self.root, f"metadata_{split}.tsv"))
        if text is None:
            return None
        # URLs contain quote characters; the file is plain TSV without quoting.
        return pd.read_csv(
            io.StringIO(text), sep="\t", dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE
        )

    def metadata_where(self, split: str) -> str:
        return self.tree.where(join(self.root, f"metadata_{split}.tsv"))


class FloresDataset(ParallelDataset[FloresBackend]):
    """Parallel FLORES sentences by language and split, validated on read.

    Codes are FLORES-200 style (``fra_Latn``). FLORES+ renamed a few (``zho_Hans`` →
    ``cmn_Hans``); either spelling finds the file, via ``aliases`` (old → new), which
    defaults to :data:`~babelscope.data._common.FLORES_PLUS_RENAMES`. :meth:`from_hub` reads
    FLORES+ from ``openlanguagedata/flores_plus`` (gated: accept its terms, log in).
    """

    what = "FLORES"
    layout_fix = _LAYOUT_FIX

    def __init__(self, backend: FloresBackend, *, aliases: Mapping[str, str] | None = None) -> None:
        super().__init__(backend, aliases=aliases)
        self._lines: dict[tuple[str, str], list[str]] = {}
        self._metadata: dict[str, pd.DataFrame | None] = {}
        self._reference: dict[str, tuple[int, str]] = {}
        self._splits: list[str] | None = None
        self._languages: dict[str, list[str]] = {}

    @classmethod
    def _local(cls, tree: FileTree) -> FloresBackend:
        return FloresFiles(tree)

    @classmethod
    def _hub(cls, token: str | None) -> FloresBackend:
        from babelscope.data.hub import FloresHub

        return FloresHub(token=token)

    def splits(self) -> list[str]:
        """Split names present (``dev``, ``devtest``, …)."""
        if self._splits is None:
            self._splits = self.backend.splits()
        return list(self._splits)

    def _check_split(self, split: str) -> None:
        available = self.splits()
        if split not in available:
            raise DataError(
                f"FLORES at {self.source} has no split {split!r}",
                fix=f"use one of: {', '.join(available) or '(none found)'}",
            )

    def languages(self, split: str = "dev") -> list[str]:
        """Sorted language codes available in ``split``."""
        self._check_split(split)
        if split not in self._languages:
            self._languages[split] = self.backend.languages(split)
        return list(self._languages[split])

    def resolve(self, lang: str, split: str = "dev") -> str:
        """The code the files use for ``lang`` (an alias may map ``zho_Hans`` ↔ ``cmn_Hans``)."""
        return self._resolve_in(
            lang,
            self.languages(split),
            where=f"FLORES {split}",
            listing=f"FloresDataset.languages({split!r})",
        )

    def _all_lines(self, code: str, split: str) -> list[str]:
        key = (code, split)
        if key not in self._lines:
            self._lines[key] = self.backend.lines(code, split)
        return self._lines[key]

    def num_sentences(self, split: str = "dev") -> int:
        """Sentences per language in ``split`` (the reference count every file must match)."""
        return self._reference_count(split)[0]

    def _reference_count(self, split: str) -> tuple[int, str]:
        if split not in self._reference:
            table = self._metadata_frame(split)
            if table is not None:
                self._reference[split] = (len(table), self.backend.metadata_where(split))
            else:
                ref = reference_code(self.languages(split))
                if ref is None:
                    raise DataError(f"FLORES {split} at {self.source} has no language files")
                count = len(self._all_lines(ref, split))
                self._reference[split] = (count, self.backend.where(ref, split))
        return self._reference[split]

    def _checked_lines(self, code: str, split: str) -> list[str]:
        lines = self._all_lines(code, split)
        expected, reference = self._reference_count(split)
        if len(lines) != expected:
            raise DataError(
                f"{self.backend.where(code, split)} has {len(lines)} lines "
                f"but {reference} has {expected}: FLORES files must be parallel",
                fix="re-download or re-extract the dataset; never edit one language's file alone",
            )
        return lines

    def sentences(self, lang: str, split: str = "dev", n: int | None = None) -> list[str]:
        """The first ``n`` sentences (all when None) of ``lang``; line *i* is sentence *i*."""
        code = self.resolve(lang, split)
        lines = self._checked_lines(code, split)
        return lines[: check_count(n, len(lines), f"FLORES {code} {split}")]

    def parallel(
        self, langs: Iterable[str], split: str = "dev", n: int | None = None
    ) -> dict[str, list[str]]:
        """``{lang: sentences}`` for several languages, keyed by the codes asked for."""
        return {lang: self.sentences(lang, split, n) for lang in dict.fromkeys(langs)}

    def validate(self, split: str = "dev") -> None:
        """Read every language of ``split`` and check it decodes and is parallel.

        Raises on the first bad file; ``sentences`` only checks the languages it reads."""
        for code in self.languages(split):
            self._checked_lines(code, split)

    def _metadata_frame(self, split: str) -> pd.DataFrame | None:
        if split not in self._metadata:
            self._check_split(split)
            self._metadata[split] = self.backend.metadata(split)
        return self._metadata[split]

    def has_metadata(self, split: str = "dev") -> bool:
        """Whether per-sentence metadata (URL, domain, topic, …) exists for ``split``."""
        return self._metadata_frame(split) is not None

    def metadata(self, split: str = "dev") -> pd.DataFrame:
        """Per-sentence metadata, row *i* describing sentence *i* (columns as in the file:
        ``URL``, ``domain``, ``topic``, ``has_image``, ``has_hyperlink`` for FLORES-200)."""
        table = self._metadata_frame(split)
        if table is None:
            raise DataError(
                f"FLORES at {self.source} has no metadata_{split}.tsv",
                fix="use the original FLORES-200 tarball or check has_metadata() first",
            )
        return table.copy()

    def data_hash(self, langs: Iterable[str], split: str = "dev", n: int | None = None) -> str:
        """sha256 of exactly the sentences ``sentences(lang, split, n)`` returns for ``langs``
        (order of ``langs`` does not matter) — the data hash a run manifest records."""
        return hash_texts(self.parallel(langs, split, n))
