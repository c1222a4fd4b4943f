"""One read-only view over a dataset folder or its tarball.

FLORES-200 and SIB-200 reach users either unpacked or as the original ``.tar.gz`` /
``.tar.xz``. The loaders are written once against :class:`FileTree` and work on both.

Tarballs are read, never extracted: nothing is written anywhere (not into the repository, not
into a cache). Compressed tarballs cannot seek — finding one member of an ``.xz`` archive costs
a full decompression pass — so :class:`TarTree` makes exactly one streaming pass, on first use,
and keeps every regular file's bytes in memory. The FLORES-200 dev archive is 39 MB unpacked
and takes ~0.6 s to read; the full original tarball (dev + devtest) is about twice that.
Opening is free; the pass happens on the first query.
"""

from __future__ import annotations

import lzma
import tarfile
import zlib
from abc import ABC, abstractmethod
from pathlib import Path, PurePosixPath
from typing import ClassVar

from babelscope.errors import DataError

TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2")


def join(*parts: str) -> str:
    """Join relative POSIX path parts, ignoring empty ones (``""`` is the tree's root)."""
    return "/".join(p for p in parts if p)


class FileTree(ABC):
    """Relative POSIX paths (``""`` is the root) inside a directory or an archive."""

    label: str
    """The user's path, for messages and manifests."""

    @abstractmethod
    def is_file(self, rel: str) -> bool: ...

    @abstractmethod
    def is_dir(self, rel: str) -> bool: ...

    @abstractmethod
    def listdir(self, rel: str) -> list[str]:
        """Sorted child names of the directory ``rel`` (empty if it is not one)."""

    @abstractmethod
    def read_bytes(self, rel: str) -> bytes: ...

    @abstractmethod
    def where(self, rel: str) -> str:
        """How to name ``rel`` to a user: a file path, or ``archive.tar.xz:member``."""


class DirTree(FileTree):
    """A directory on disk; every call goes to the file system."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = str(root)

    def _path(self, rel: str) -> Path:
        return self.root / rel if rel else self.root

    def is_file(self, rel: str) -> bool:
        return self._path(rel).is_file()

    def is_dir(self, rel: str) -> bool:
        return self._path(rel).is_dir()

    def listdir(self, rel: str) -> list[str]:
        path = self._path(rel)
        return sorted(p.name for p in path.iterdir()) if path.is_dir() else []

    def read_bytes(self, rel: str) -> bytes:
        return self._path(rel).read_bytes()

    def where(self, rel: str) -> str:
        return str(self._path(rel))


class TarTree(FileTree):
    """A tarball (any compression ``tarfile`` knows), held in memory after one read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = str(path)
        self._files: dict[str, bytes] | None = None
        self._children: dict[str, set[str]] = {}

    def _load(self) -> dict[str, bytes]:
        if self._files is not None:
            return self._files
        files: dict[str, bytes] = {}
        try:
            # "r|*" streams: one sequential pass, no seeking, any compression.
            with tarfile.open(self.path, mode="r|*") as archive:
                for member in archive:
                    name = _safe_name(member.name)
                    if name is None or not member.isfile():
                        continue
                    handle = archive.extractfile(member)
                    if handle is not None:
                        files[name] = handle.read()
        except (tarfile.TarError, EOFError, OSError, lzma.LZMAError, zlib.error) as err:
            raise DataError(
                f"cannot read archive {self.path}: {err}",
                fix="re-download it, or unpack it and pass the directory instead",
            ) from err
        children: dict[str, set[str]] = {"": set()}
        for name in files:
            parts = name.split("/")
            for depth in range(len(parts)):
                children.setdefault(join(*parts[:depth]), set()).add(parts[depth])
        self._files, self._children = files, children
        return files

    def is_file(self, rel: str) -> bool:
        return rel in self._load()

    def is_dir(self, rel: str) -> bool:
        self._load()
        return rel in self._children

    def listdir(self, rel: str) -> list[str]:
        self._load()
        return sorted(self._children.get(rel, ()))

    def read_bytes(self, rel: str) -> bytes:
        return self._load()[rel]

    def where(self, rel: str) -> str:
        return f"{self.path}:{rel}"


def _safe_name(name: str) -> str | None:
    """Normalise a member name; drop absolute or parent-relative ones (never read, never
    written, but they cannot belong to a well-formed dataset either)."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        return None
    parts = [p for p in path.parts if p not in ("", ".")]
    return "/".join(parts) or None


class DatasetFolder(ABC):
    """One dataset's files inside a :class:`FileTree`, below a root folder found on first use.

    Users pass the dataset's own folder, the folder or archive around it, or a copy laid out by
    hand. So a layout names the folders its root is usually in (``preferred``) and how to
    recognise a root (:meth:`is_root`); every top-level folder is tried after those, and the
    error says what was looked for (``missing``) and what a valid source looks like (``fix``).
    """

    preferred: ClassVar[tuple[str, ...]]
    missing: ClassVar[str]
    fix: ClassVar[str]

    def __init__(self, tree: FileTree) -> None:
        self.tree = tree
        self.label = tree.label
        self._root: str | None = None

    @abstractmethod
    def is_root(self, folder: str) -> bool:
        """Whether ``folder`` holds the dataset (its split or language folders)."""

    @property
    def root(self) -> str:
        """The folder holding the dataset; a :class:`DataError` when no candidate does."""
        if self._root is None:
            self._root = self._find_root()
        return self._root

    def _find_root(self) -> str:
        candidates = [*self.preferred, *(c for c in self.tree.listdir("") if self.tree.is_dir(c))]
        for candidate in dict.fromkeys(candidates):
            if self.is_root(candidate):
                return candidate
        raise DataError(f"{self.missing} in {self.label}", fix=self.fix)

    def stems(self, folder: str, suffix: str, *, files_only: bool = False) -> list[str]:
        """Names in ``folder`` that end in ``suffix``, without it (``fra_Latn`` for
        ``fra_Latn.dev``), in :meth:`FileTree.listdir` order; a bare ``suffix`` is no name.
        ``files_only`` skips folders."""
        return [
            name[: -len(suffix)]
            for name in self.tree.listdir(folder)
            if name.endswith(suffix)
            and len(name) > len(suffix)
            and (not files_only or self.tree.is_file(join(folder, name)))
        ]


def is_tarball(path: Path) -> bool:
    """True for a file whose name or content says it is a tar archive."""
    if not path.is_file():
        return False
    if path.name.lower().endswith(TAR_SUFFIXES):
        return True
    try:
        return tarfile.is_tarfile(path)
    except OSError:
        return False


def open_tree(source: str | Path, *, what: str, fix: str) -> FileTree:
    """A :class:`FileTree` for a directory or tarball; ``what`` names the dataset in errors
    and ``fix`` says what a valid source looks like."""
    path = Path(source).expanduser()
    if not path.exists():
        raise DataError(f"{what} source {path} does not exist", fix=fix)
    if path.is_dir():
        return DirTree(path)
    if is_tarball(path):
        return TarTree(path)
    raise DataError(f"{what} source {path} is neither a directory nor a tar archive", fix=fix)
