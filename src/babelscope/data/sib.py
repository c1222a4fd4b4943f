"""SIB-200: topic classification on FLORES sentences (7 labels, 205 language varieties).

Each ``sib200/<code>/<split>.tsv`` has columns ``index_id`` (the sentence's position in FLORES
dev+devtest), ``category`` and ``text``; ``labels.txt`` lists the categories. Rows are in the same
order in every language, which is what makes cross-lingual transfer measurable, so a file whose
``index_id`` sequence differs from the reference language's is refused.

The TSVs use CSV quoting (a text starting with ``"`` is wrapped and its quotes doubled), so they
are parsed with pandas' default quoting — reading them raw would leave stray quote characters.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Protocol

import pandas as pd

from babelscope.data._common import (
    ParallelDataset,
    check_count,
    decode_text,
    hash_texts,
    read_optional_text,
    reference_code,
    split_lines,
)
from babelscope.data._files import DatasetFolder, FileTree, join
from babelscope.data._sib_layout import COLUMNS, SPLIT_ORDER, order_splits
from babelscope.errors import DataError

__all__ = ["COLUMNS", "Sib200Dataset", "SibBackend", "SibFiles", "order_splits", "read_sib_tsv"]
_LAYOUT_FIX = (
    "pass the SIB-200 tarball, its sib200/ directory, or a folder holding "
    "<code>/{train,dev,test}.tsv files (e.g. fra_Latn/train.tsv)"
)


def read_sib_tsv(data: bytes, where: str) -> pd.DataFrame:
    """Parse one SIB TSV into ``index_id`` (int64), ``category`` and ``text`` (str)."""
    text = decode_text(data, where)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep="\t",
            dtype={"index_id": "int64", "category": "str", "text": "str"},
            keep_default_na=False,
        )
    except (ValueError, pd.errors.ParserError) as err:
        raise DataError(
            f"cannot parse {where}: {err}", fix="re-download or re-extract SIB-200"
        ) from err
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"{where} lacks column(s) {', '.join(missing)}",
            fix="SIB-200 files need a header with index_id, category and text",
        )
    return frame.loc[:, list(COLUMNS)].reset_index(drop=True)


class SibBackend(Protocol):
    """Where SIB rows come from (local files or the hub); codes here are exact folder codes."""

    label: str

    def languages(self) -> list[str]: ...

    def splits(self, code: str) -> list[str]: ...

    def frame(self, code: str, split: str) -> pd.DataFrame: ...

    def labels(self, code: str) -> list[str] | None: ...

    def where(self, code: str, split: str) -> str: ...


class SibFiles(DatasetFolder):
    """SIB files in a :class:`FileTree` rooted at the folder holding one folder per language."""

    preferred = ("", "sib200", "data/annotated", "data")
    missing = "no SIB-200 language folders found"
    fix = _LAYOUT_FIX

    def is_root(self, folder: str) -> bool:
        # A language folder has a standard split or labels.txt; any *.tsv would also match
        # FLORES's metadata_dev.tsv when both datasets sit in one folder.
        markers = {"labels.txt", *(f"{s}.tsv" for s in SPLIT_ORDER)}
        return any(
            markers.intersection(self.tree.listdir(join(folder, child)))
            for child in self.tree.listdir(folder)
        )

    def languages(self) -> list[str]:
        root = self.root
        return sorted(c for c in self.tree.listdir(root) if self.stems(join(root, c), ".tsv"))

    def splits(self, code: str) -> list[str]:
        return order_splits(self.stems(join(self.root, code), ".tsv"))

    def frame(self, code: str, split: str) -> pd.DataFrame:
        rel = join(self.root, code, f"{split}.tsv")
        return read_sib_tsv(self.tree.read_bytes(rel), self.tree.where(rel))

    def labels(self, code: str) -> list[str] | None:
        text = read_optional_text(self.tree, join(self.root, code, "labels.txt"))
        if text is None:
            return None
        return [line.strip() for line in split_lines(text) if line.strip()]

    def where(self, code: str, split: str) -> str:
        return self.tree.where(join(self.root, code, f"{split}.tsv"))


class Sib200Dataset(ParallelDataset[SibBackend]):
    """SIB-200 rows by language and split, checked to be parallel across languages.

    :meth:`from_hub` reads ``Davlan/sib200`` (its ``validation`` split is ``dev`` here)."""

    what = "SIB-200"
    layout_fix = _LAYOUT_FIX

    def __init__(self, backend: SibBackend, *, aliases: Mapping[str, str] | None = None) -> None:
        super().__init__(backend, aliases=aliases)
        self._languages: list[str] | None = None
        self._frames: dict[tuple[str, str], pd.DataFrame] = {}

    @classmethod
    def _local(cls, tree: FileTree) -> SibBackend:
        return SibFiles(tree)

    @classmethod
    def _hub(cls, token: str | None) -> SibBackend:
        from babelscope.data.hub import SibHub

        return SibHub(token=token)

    def languages(self) -> list[str]:
        """Sorted language codes (FLORES-200 style)."""
        if self._languages is None:
            self._languages = self.backend.languages()
        return list(self._languages)

    def resolve(self, lang: str) -> str:
        """The folder code for ``lang`` (aliases map FLORES+ spellings such as ``cmn_Hans``)."""
        return self._resolve_in(
            lang, self.languages(), where="SIB-200", listing="Sib200Dataset.languages()"
        )

    def splits(self, lang: str | None = None) -> list[str]:
        """Splits of ``lang``, or of the reference language when None (``train, dev, …``)."""
        return self.backend.splits(self.resolve(lang) if lang else self._reference_code())

    def _reference_code(self) -> str:
        ref = reference_code(self.languages())
        if ref is None:
            raise DataError(f"SIB-200 at {self.source} has no language folders", fix=_LAYOUT_FIX)
        return ref

    def _frame(self, code: str, split: str) -> pd.DataFrame:
        key = (code, split)
        if key not in self._frames:
            available = self.backend.splits(code)
            if split not in available:
                raise DataError(
                    f"SIB-200 {code} has no split {split!r} at {self.source}",
                    fix=f"use one of: {', '.join(available) or '(none found)'}",
                )
            self._frames[key] = self.backend.frame(code, split)
        return self._frames[key]

    def _checked_frame(self, code: str, split: str) -> pd.DataFrame:
        frame = self._frame(code, split)
        ref = self._reference_code()
        if code == ref:
            return frame
        reference = self._frame(ref, split)
        if len(frame) != len(reference):
            raise DataError(
                f"{self.backend.where(code, split)} has {len(frame)} rows but "
                f"{self.backend.where(ref, split)} has {len(reference)}: SIB-200 must be parallel",
                fix="re-download or re-extract SIB-200; never edit one language's file alone",
            )
        ids, ref_ids = frame["index_id"].to_numpy(), reference["index_id"].to_numpy()
        if (ids != ref_ids).any():
            row = int((ids != ref_ids).argmax())
            raise DataError(
                f"{self.backend.where(code, split)} row {row} has index_id {ids[row]} but "
                f"{self.backend.where(ref, split)} has {ref_ids[row]}: rows must be parallel",
                fix="re-download or re-extract SIB-200; rows must stay in the original order",
            )
        return frame

    def split(self, lang: str, split: str = "train") -> pd.DataFrame:
        """Rows of ``lang``'s ``split``: columns ``index_id`` (int64), ``category``, ``text``.

        Row *i* is the same sentence (same ``index_id`` and label) in every language."""
        return self._checked_frame(self.resolve(lang), split).copy()

    def texts(self, lang: str, split: str = "train", n: int | None = None) -> list[str]:
        """The first ``n`` texts (all when None) of ``lang``'s ``split``."""
        code = self.resolve(lang)
        column = self._checked_frame(code, split)["text"].tolist()
        return column[: check_count(n, len(column), f"SIB-200 {code} {split}")]

    def labels(self, lang: str | None = None) -> list[str]:
        """Category names from ``labels.txt`` (of ``lang``, else the reference language);
        without that file, the categories of the first split in order of appearance."""
        code = self.resolve(lang) if lang else self._reference_code()
        listed = self.backend.labels(code)
        if listed is not None:
            return listed
        first = self.backend.splits(code)[0]
        return list(dict.fromkeys(self._frame(code, first)["category"].tolist()))

    def validate(self, split: str = "train") -> None:
        """Read every language's ``split`` and check it parses and is parallel."""
        for code in self.languages():
            self._checked_frame(code, split)

    def data_hash(self, langs: Iterable[str], split: str = "train", n: int | None = None) -> str:
        """sha256 of the first ``n`` rows (``index_id``, ``category``, ``text``) of ``langs``'s
        ``split`` — labels included, since they are data too; order of ``langs`` is irrelevant."""
        rows: dict[str, list[str]] = {}
        for lang in dict.fromkeys(langs):
            code = self.resolve(lang)
            frame = self._checked_frame(code, split)
            frame = frame.iloc[: check_count(n, len(frame), f"SIB-200 {code} {split}")]
            rows[lang] = [
                f"{i}\t{c}\t{t}"
                for i, c, t in zip(frame["index_id"], frame["category"], frame["text"], strict=True)
            ]
        return hash_texts(rows)
