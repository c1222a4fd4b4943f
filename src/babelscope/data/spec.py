"""The ``--data`` option: ``flores200:PATH``, ``sib200:PATH``, ``flores200:hub``, ``sib200:hub``.

One string names both the dataset and where it lives, so run manifests can record it verbatim
and a user can reproduce the run with the same flag.
"""

from __future__ import annotations

from babelscope.data.flores import FloresDataset
from babelscope.data.sib import Sib200Dataset
from babelscope.errors import DataError

_KINDS = {"flores200": "flores200", "flores": "flores200", "sib200": "sib200", "sib": "sib200"}
_FIX = (
    "use flores200:PATH, sib200:PATH (a directory or .tar.gz/.tar.xz), flores200:hub or sib200:hub"
)


def parse_data_spec(spec: str, *, token: str | None = None) -> FloresDataset | Sib200Dataset:
    """Open the dataset a ``--data`` value names. ``hub`` loads from the Hugging Face hub
    (``token`` for gated repositories); anything else after the colon is a local path."""
    kind, sep, where = spec.partition(":")
    dataset = _KINDS.get(kind.strip().lower())
    if not sep or dataset is None:
        raise DataError(f"cannot read data spec {spec!r}", fix=_FIX)
    where = where.strip()
    if not where:
        raise DataError(f"data spec {spec!r} names no location", fix=_FIX)
    if dataset == "flores200":
        if where == "hub":
            return FloresDataset.from_hub(token=token)
        return FloresDataset.open(where)
    if where == "hub":
        return Sib200Dataset.from_hub(token=token)
    return Sib200Dataset.open(where)
