"""Run folders: the unit users share, with one contract for every kind of run.

A run folder holds tidy Parquet tables, JSON, ``plots/``, ``report.html`` and a
``manifest.json``. Every file is written atomically (temp file + rename), and the manifest is
written last, so a crashed run never looks finished: readers check :func:`is_complete` or call
:func:`read_manifest`. One manifest schema serves every kind (``latent``, ``demo``, ``rank`` and
future ones)::

    {"schema": 1, "kind": "rank", "argv": [...] | null, "models": {name: provenance},
     "data": {...} | null, "settings": {...}, "summary": {key numbers},
     ...kind-specific keys..., "files": [...], "environment": {...}, "seconds": 12.3,
     "finished": "2026-…", "status": "complete"}

``status`` is the last key of the last file written; a run in progress has a manifest with its
``kind`` and ``status: "incomplete"``. Commands default to ``babelscope-runs/<kind>-<slug>``
(:func:`default_run_dir`); :func:`slug` is the one helper that turns model names and the like
into file names and ids. :func:`prepare_run_folder` is the one rule every command applies to a
folder that already exists.
"""

from __future__ import annotations

import json
import math
import platform
import re
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babelscope._version import __version__
from babelscope.atomic import atomic_write_bytes, atomic_write_text
from babelscope.errors import ConfigError, DataError

if TYPE_CHECKING:
    import pandas as pd

MANIFEST = "manifest.json"
SCHEMA = 1
#: Where every command puts its run folder unless ``--out`` says otherwise.
RUNS_ROOT = Path("babelscope-runs")
#: Folders whose files the manifest does not list one by one (the activation store's shards).
UNLISTED = ("store",)
_FIX = "pass the --out folder of a finished babelscope run"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def slug(text: str, *, fallback: str = "run") -> str:
    """``text`` as a safe file-name part and HTML-id part: every run of characters other than
    ASCII letters, digits, ``_`` and ``-`` becomes one ``-`` (``/``, ``.``, ``@`` and spaces
    included: no hidden files, no ``..``, no path), and ``-`` is stripped from both ends."""
    return _UNSAFE.sub("-", text).strip("-") or fallback


def model_label(spec: str) -> str:
    """The last part of a model spec (``org/name@rev`` → ``name@rev``), for default folders."""
    return spec.rstrip("/").rsplit("/", 1)[-1] or spec


def default_run_dir(kind: str, name: str | None = None) -> Path:
    """``babelscope-runs/<kind>-<slug(name)>``, or ``babelscope-runs/<kind>`` without a name."""
    return RUNS_ROOT / (f"{kind}-{slug(name)}" if name else slug(kind))


def environment() -> dict[str, Any]:
    """Versions that can change numbers, for manifests."""
    info: dict[str, Any] = {
        "babelscope": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    for module in ("torch", "transformers", "numpy"):
        mod = sys.modules.get(module)
        if mod is not None:
            info[module] = getattr(mod, "__version__", "?")
    return info


def write_parquet(path: str | Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` (index dropped) as Parquet, atomically; make the parent folder."""
    import io

    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(target, buffer.getvalue())


class RunFolder:
    """Writer for one run folder of ``kind``. Creating it marks any previous manifest as
    incomplete (an older result is about to be overwritten piece by piece), or, in a new
    folder, writes an in-progress manifest (``kind``, ``status: "incomplete"``) so that a
    killed run is still recognised as one (:func:`prepare_run_folder`)."""

    def __init__(self, path: str | Path, kind: str | None = None) -> None:
        self.path = Path(path).expanduser()
        self.kind = kind
        if self.path.exists() and not self.path.is_dir():
            raise ConfigError(f"{self.path} exists and is not a folder", fix="pick another --out")
        self.path.mkdir(parents=True, exist_ok=True)
        self.started = time.time()
        manifest = self.path / MANIFEST
        if manifest.exists():
            try:
                old = json.loads(manifest.read_text())
            except ValueError:
                old = {}
            old["status"] = "incomplete"
            atomic_write_text(manifest, json.dumps(old, indent=2, ensure_ascii=False))
        elif kind:
            body = {"schema": SCHEMA, "kind": kind, "status": "incomplete"}
            atomic_write_text(manifest, json.dumps(body, indent=2))

    def file(self, name: str) -> Path:
        target = (self.path / name).resolve()
        if self.path.resolve() not in target.parents:
            raise ValueError(f"{name!r} escapes the run folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write_table(self, name: str, frame: pd.DataFrame) -> Path:
        return write_parquet(
            self.file(name if name.endswith(".parquet") else f"{name}.parquet"), frame
        )

    def write_json(self, name: str, data: Any) -> Path:
        path = self.file(name)
        atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False, default=str))
        return path

    def write_bytes(self, name: str, data: bytes) -> Path:
        path = self.file(name)
        atomic_write_bytes(path, data)
        return path

    def files(self) -> list[str]:
        """Every file written so far (relative, sorted), hidden files and the manifest left
        out; a folder of :data:`UNLISTED` appears once, as ``store/``."""
        out = set()
        for path in self.path.rglob("*"):
            rel = path.relative_to(self.path)
            if rel.parts[0] in UNLISTED:
                out.add(f"{rel.parts[0]}/")
            elif path.is_file() and not any(p.startswith(".") for p in rel.parts):
                out.add(rel.as_posix())
        out.discard(MANIFEST)
        return sorted(out)

    def finish(self, manifest: dict[str, Any]) -> Path:
        """Write the manifest last: the run is complete from this moment on.

        ``manifest`` gives the kind-specific parts (``models``, ``data``, ``settings``,
        ``summary``, …); the schema, kind, file list, environment, timing and ``status`` are
        added here, ``status`` last."""
        kind = manifest.get("kind") or self.kind
        if not kind:
            raise ValueError("a run manifest needs a kind (RunFolder(path, kind=...))")
        given = {k: v for k, v in manifest.items() if k not in ("kind", "status")}
        body = {
            "schema": SCHEMA,
            "kind": kind,
            "argv": None,
            "models": {},
            "data": None,
            "settings": {},
            "summary": {},
            **given,
            "files": self.files(),
            "environment": environment(),
            "seconds": round(time.time() - self.started, 1),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "status": "complete",
        }
        return self.write_json(MANIFEST, _finite(body))


def _finite(value: Any) -> Any:
    """NaN and infinities become ``null``: the manifest and ``--json`` stay strict JSON (a key
    number is NaN when, say, every prompt of a run was dropped)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def open_for_save(target: RunFolder | str | Path, kind: str) -> tuple[RunFolder, bool]:
    """The folder a result's ``save`` writes into, and whether ``save`` owns it: a path means a
    notebook user saving a result, so ``save`` also finishes it with a manifest (and the folder
    becomes a run ``babelscope report`` reads); a :class:`RunFolder` belongs to its caller."""
    if isinstance(target, RunFolder):
        return target, False
    return RunFolder(target, kind=kind), True


def save_tables(
    target: RunFolder | str | Path,
    kind: str,
    tables: Mapping[str, pd.DataFrame],
    *,
    meta_name: str,
    meta: Any,
    manifest: Callable[[], dict[str, Any]],
) -> Path:
    """A table-shaped result's ``save``: its Parquet tables and meta JSON, then — when ``save``
    owns the folder (see :func:`open_for_save`) — the manifest, written last."""
    run, owned = open_for_save(target, kind)
    for name, frame in tables.items():
        run.write_table(name, frame)
    run.write_json(meta_name, meta)
    if owned:
        run.finish(manifest())
    return run.path


def read_tables(
    path: str | Path, files: Mapping[str, str], meta_name: str, *, what: str, fix: str
) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """The meta JSON and the tables (``{key: file name}``) :func:`save_tables` wrote; a
    missing or unreadable file is a ``DataError`` ("<folder> holds no <what>") naming ``fix``."""
    import pandas as pd

    root = Path(path).expanduser()
    try:
        meta = json.loads((root / meta_name).read_text("utf-8"))
        tables = {key: pd.read_parquet(root / name) for key, name in files.items()}
    except (OSError, ValueError) as exc:
        raise DataError(f"{root} holds no {what} ({exc})", fix=fix) from exc
    return dict(meta), tables


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of a finished run folder (``DataError`` naming the fix otherwise).

    Manifests written before the schema existed are read too: ``kind`` then comes from the
    ``command`` (``rank``) and ``models`` from a rank run's single ``model``."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise DataError(f"{folder}: no such run folder", fix=_FIX)
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    except FileNotFoundError as exc:
        raise DataError(
            f"{folder} has no {MANIFEST}: not a run folder, or a run that never finished",
            fix=_FIX,
        ) from exc
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {folder / MANIFEST} ({exc})", fix=_FIX) from exc
    if not isinstance(manifest, dict):
        raise DataError(f"{folder / MANIFEST} is not a run manifest", fix=_FIX)
    status = manifest.get("status")
    if status != "complete":
        raise DataError(
            f"{folder} is not a finished run (manifest status {status!r})",
            fix="re-run its command with the same --out until it finishes, then report",
        )
    if not manifest.get("kind") and manifest.get("command") == "rank":
        manifest["kind"] = "rank"
    if not manifest.get("models") and isinstance(manifest.get("model"), dict):
        model = manifest["model"]
        manifest["models"] = {str(model.get("name", "model")): model}
    return manifest


def run_summary(path: str | Path) -> dict[str, Any]:
    """What ``--json`` prints when a command finishes a run: the folder, its kind, its report
    (when written) and the key numbers the manifest records."""
    folder = Path(path).expanduser().resolve()
    manifest = read_manifest(folder)
    report = folder / "report.html"
    return {
        "run_folder": str(folder),
        "kind": manifest["kind"],
        "status": manifest["status"],
        "report": str(report) if report.is_file() else None,
        "models": list(manifest.get("models") or {}),
        "seconds": manifest.get("seconds"),
        "summary": manifest.get("summary", {}),
    }


def is_complete(path: str | Path) -> bool:
    try:
        data = json.loads((Path(path) / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return bool(data.get("status") == "complete")


# ---- a folder that already exists ------------------------------------------------------------
#: What an unfinished run leaves before it writes any manifest (runs older than the in-progress
#: manifest): the kinds it can belong to.
TRACES: dict[str, tuple[str, ...]] = {
    "store": ("rank", "steer"),
    "cells": ("steer",),
    "vectors": ("steer",),
    "checkpoint.pt": ("tuned-lens",),
}
#: What replacing a run keeps: the activation store, whose shards are filed under a digest of
#: the model, the data and the settings that made them, so a new run only ever reads states it
#: would compute itself (an hour of forward passes on a ranking; a sweep's edited job reuses it).
KEEP = ("store",)
_ELSEWHERE = "pass --overwrite to replace it, or --out DIR to write elsewhere"


def run_state(path: str | Path) -> tuple[str, tuple[str, ...]] | None:
    """What the folder at ``path`` holds: ``("complete" | "incomplete", kinds)`` for a
    babelscope run folder (``kinds`` its kind, the kinds its traces fit, or ``()`` when
    unknown), ``None`` for anything else."""
    folder = Path(path).expanduser()
    manifest = folder / MANIFEST
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text("utf-8"))
        except (OSError, ValueError):
            return "incomplete", ()  # a manifest cut off mid-write: a run that died
        if isinstance(data, dict) and ("status" in data or "kind" in data):
            kind = data.get("kind") or data.get("command")
            status = "complete" if data.get("status") == "complete" else "incomplete"
            return status, (str(kind),) if kind else ()
    for name, kinds in TRACES.items():
        if (folder / name).exists():
            return "incomplete", kinds
    return None


def prepare_run_folder(
    path: str | Path, kind: str, *, resumable: bool, overwrite: bool = False
) -> Path:
    """Apply the one rule for an existing ``--out`` folder, before any model loads.

    - missing, or empty (hidden files aside): used as it is;
    - a COMPLETE run (any kind): refused (``ConfigError``, naming ``--overwrite`` and
      ``--out``) unless ``overwrite``; then replaced: its manifest is removed first (so the
      folder never looks complete mid-way), then everything but hidden files and :data:`KEEP`;
    - an UNFINISHED run of this ``kind``: a ``resumable`` command resumes from what it holds,
      any other command starts over (cleared as above); an unfinished run of another kind is
      refused unless ``overwrite``;
    - anything else that is not empty (not a babelscope run folder): refused, even with
      ``overwrite`` (it is never deleted).
    """
    folder = Path(path).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} exists and is not a folder", fix="pick another --out")
    if not folder.is_dir() or not _visible(folder):
        return folder
    state = run_state(folder)
    if state is None:
        raise ConfigError(
            f"{folder} is not empty and holds no babelscope run",
            fix="pass --out DIR naming a new or empty folder",
        )
    status, kinds = state
    named = " or ".join(kinds) if kinds else "babelscope"
    if not overwrite:
        if status == "complete":
            raise ConfigError(f"{folder} holds a complete {named} run", fix=_ELSEWHERE)
        if kinds and kind not in kinds:
            raise ConfigError(f"{folder} holds an unfinished {named} run", fix=_ELSEWHERE)
        if resumable:
            return folder
    clear_run_folder(folder)
    return folder


def _visible(folder: Path) -> list[Path]:
    """Entries of ``folder`` other than hidden ones (a sweep's ``.sweep-job.json``, …)."""
    return [entry for entry in folder.iterdir() if not entry.name.startswith(".")]


def clear_run_folder(folder: Path) -> None:
    """Empty a run folder for a new run: the manifest first, then every entry except hidden
    ones and :data:`KEEP`."""
    (folder / MANIFEST).unlink(missing_ok=True)
    for entry in _visible(folder):
        if entry.name in KEEP:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
