"""FLORES+ and SIB-200 from the Hugging Face hub, through the optional ``datasets`` package.

Small on purpose: it maps the hub's per-language configs onto the same backend interface as the
local files, so validation (parallel line counts, UTF-8) is shared. It is not exercised by the
test suite (no network there); every failure — package missing, offline mode, gated repository,
no connection — becomes one :class:`~babelscope.errors.DataError` that names the local fallback.
Hub copies carry no ``metadata_<split>.tsv``; :meth:`FloresDataset.has_metadata` is False.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable
from types import ModuleType
from typing import TypeVar

import pandas as pd

from babelscope.data._sib_layout import COLUMNS, order_splits
from babelscope.errors import DataError

FLORES_REPO = "openlanguagedata/flores_plus"
SIB_REPO = "Davlan/sib200"
_CODE = re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}(_[a-z]{4}\d{4})?$")
_SIB_SPLITS = {"train": "train", "dev": "validation", "test": "test"}
_T = TypeVar("_T")


def _offline() -> bool:
    flags = (os.environ.get(v, "") for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))
    return any(flag.strip().lower() in {"1", "true", "yes", "on"} for flag in flags)


def datasets_module(repo: str) -> ModuleType:
    """The ``datasets`` package, or a DataError saying why the hub cannot be used."""
    local = "flores200:PATH" if repo == FLORES_REPO else "sib200:PATH"
    if _offline():
        raise DataError(
            f"cannot load {repo} from the hub: offline mode is set (HF_HUB_OFFLINE)",
            fix=f"pass a local directory or tarball instead: --data {local}",
        )
    try:
        return importlib.import_module("datasets")
    except ImportError as err:
        raise DataError(
            f"loading {repo} from the hub needs the 'datasets' package",
            fix=f"pip install datasets, or pass a local copy: --data {local}",
        ) from err


def _call(repo: str, what: str, fn: Callable[[], _T]) -> _T:
    try:
        return fn()
    except DataError:
        raise
    except Exception as err:
        first_line = (str(err).splitlines() or [""])[0]
        gated = " (FLORES+ is gated: accept its terms on the hub, then log in or pass token=)"
        raise DataError(
            f"could not load {what} of {repo} from the hub: {type(err).__name__}: {first_line}",
            fix="check the connection and the code" + (gated if repo == FLORES_REPO else ""),
        ) from err


def _config_names(module: ModuleType, repo: str, token: str | None) -> list[str]:
    names = _call(
        repo, "the config list", lambda: module.get_dataset_config_names(repo, token=token)
    )
    return sorted(str(n) for n in names if _CODE.match(str(n)))


class FloresHub:
    """FLORES+ (``openlanguagedata/flores_plus``): one config per language, a ``text`` column."""

    def __init__(self, *, token: str | None = None) -> None:
        self._datasets = datasets_module(FLORES_REPO)
        self._token = token
        self._codes: list[str] | None = None
        self.label = f"hub:{FLORES_REPO}"

    def splits(self) -> list[str]:
        return ["dev", "devtest"]

    def languages(self, split: str) -> list[str]:
        if self._codes is None:
            self._codes = _config_names(self._datasets, FLORES_REPO, self._token)
        return list(self._codes)

    def lines(self, code: str, split: str) -> list[str]:
        table = _call(
            FLORES_REPO,
            f"{code} {split}",
            lambda: self._datasets.load_dataset(FLORES_REPO, code, split=split, token=self._token),
        )
        return [str(t) for t in table["text"]]

    def where(self, code: str, split: str) -> str:
        return f"{FLORES_REPO} {code} {split}"

    def metadata(self, split: str) -> pd.DataFrame | None:
        return None

    def metadata_where(self, split: str) -> str:
        return f"{FLORES_REPO} (no metadata file)"


class SibHub:
    """SIB-200 (``Davlan/sib200``): one config per language; ``validation`` is our ``dev``."""

    def __init__(self, *, token: str | None = None) -> None:
        self._datasets = datasets_module(SIB_REPO)
        self._token = token
        self.label = f"hub:{SIB_REPO}"

    def languages(self) -> list[str]:
        return _config_names(self._datasets, SIB_REPO, self._token)

    def splits(self, code: str) -> list[str]:
        return order_splits(_SIB_SPLITS)

    def frame(self, code: str, split: str) -> pd.DataFrame:
        hub_split = _SIB_SPLITS.get(split, split)
        table = _call(
            SIB_REPO,
            f"{code} {split}",
            lambda: self._datasets.load_dataset(SIB_REPO, code, split=hub_split, token=self._token),
        )
        frame = pd.DataFrame({c: list(table[c]) for c in COLUMNS})
        return frame.astype({"index_id": "int64", "category": str, "text": str})

    def labels(self, code: str) -> list[str] | None:
        return None

    def where(self, code: str, split: str) -> str:
        return f"{SIB_REPO} {code} {split}"
