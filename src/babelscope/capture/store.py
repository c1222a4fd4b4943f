"""The activation store: pooled per-sentence states streamed to disk as verified shards.

A long run (200 languages, two hours) must survive a crash, and several analyses (Language
Ranker, MEXA, CKA, probes) must read the same states instead of recomputing them. The store
holds one safetensors file per *shard* — a group of sentences (one language, one chunk of
sentence indices) — with every requested tensor (``"last.5"``: ``[n, D]`` last-token states of
layer 5, …), and a ``manifest.json`` listing each shard's sha256, size, tensor shapes and the
sha256 of the texts it was computed from.

Crash safety, in order of events: a shard is written to a temporary file, fsynced and renamed
into place; only then is its entry added to the manifest (itself rewritten atomically). A run
killed at any moment therefore leaves (a) complete shards listed in the manifest, (b) at most
one complete shard not yet listed, or (c) a stray temporary file. On the next run (a) is read
after its checksum is verified, (b) and (c) are recomputed, and a listed shard whose bytes,
tensor names or shapes do not match its entry (a corrupted disk, a hand edit) is recomputed,
never read.

Identity: a store folder is named by a digest of its *identity* (model and tokenizer hashes,
capture settings, library versions that change numerics), so a different model or setting
never reuses shards: it gets a new folder beside the old one (``<parent>/<digest16>/``). Data
changes are caught per shard through the texts' sha256.

Only one process may write the manifest at a time (an advisory ``flock``, released by the
kernel when the process dies, even by SIGKILL). A distributed sweep's workers write shard
*files* only (:meth:`ActivationStore.write_file`, atomic, so two workers computing the same
shard just replace identical bytes); the one process holding the lock lists them
(:meth:`ActivationStore.adopt`) after checking their checksum.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import torch

from babelscope.atomic import atomic_write_bytes, atomic_write_text
from babelscope.errors import ConfigError, DataError

STORE_VERSION = 1
MANIFEST = "manifest.json"
_SAFE_GROUP = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-@.")


def identity_digest(identity: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of ``identity`` (sorted keys)."""
    text = json.dumps(identity, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def texts_digest(texts: Sequence[str]) -> str:
    """sha256 of a list of texts (length-prefixed, so ``["ab"]`` ≠ ``["a", "b"]``)."""
    digest = hashlib.sha256()
    for text in texts:
        data = text.encode("utf-8")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


@dataclass(frozen=True)
class ShardEntry:
    """What the manifest records about one shard."""

    sha256: str
    size: int
    texts_sha256: str
    rows: int
    tensors: dict[str, list[int]]  # name -> shape
    dtypes: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "bytes": self.size,
            "texts_sha256": self.texts_sha256,
            "rows": self.rows,
            "tensors": self.tensors,
            "dtypes": self.dtypes,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ShardEntry:
        return cls(
            sha256=str(data["sha256"]),
            size=int(data["bytes"]),
            texts_sha256=str(data["texts_sha256"]),
            rows=int(data["rows"]),
            tensors={k: [int(x) for x in v] for k, v in data["tensors"].items()},
            dtypes={k: str(v) for k, v in data["dtypes"].items()},
        )


class CorruptShardError(DataError):
    """A shard's bytes, names or shapes do not match its manifest entry."""


class ActivationStore:
    """A folder of verified shards keyed by ``(group, index)``.

    ``group`` is a language code (or a variant such as ``rus_Cyrl@latn``), ``index`` the chunk
    number. Typical use::

        store = ActivationStore.open(run_dir / "store", identity)
        with store.writing():
            states = store.get_or_compute("fra_Latn", 0, texts, compute=lambda: forward(texts))

    ``compute`` returns ``{name: tensor}`` whose first dimension is ``len(texts)``; it must be
    deterministic (same texts → same bytes), which is what makes a resumed run bit-identical
    to an uninterrupted one. CPU forwards nearly always are; CI once saw one shard's first
    forward in a fresh process differ in its last bits, so the resume test allows a few ulps.
    """

    def __init__(self, path: Path, identity: Mapping[str, Any]) -> None:
        self.path = path
        self.identity = dict(identity)
        self.digest = identity_digest(self.identity)
        self._entries: dict[str, ShardEntry] = {}
        self._lock: IO[bytes] | None = None
        self.recomputed: list[str] = []  # shards found corrupt and recomputed, for reports
        self.computed: list[str] = []  # shards computed by this process
        self._verified: dict[str, str] = {}  # key -> sha256 verified by this process
        self._load_manifest()

    @classmethod
    def open(cls, parent: str | Path, identity: Mapping[str, Any]) -> ActivationStore:
        """The store for ``identity`` under ``parent`` (made if needed): ``parent/<digest16>``."""
        digest = identity_digest(identity)
        path = Path(parent).expanduser() / digest[:16]
        path.mkdir(parents=True, exist_ok=True)
        store = cls(path, identity)
        identity_file = path / "identity.json"
        recorded: Any = None
        with contextlib.suppress(OSError, ValueError):
            recorded = json.loads(identity_file.read_text("utf-8"))
        if recorded is not None and identity_digest(recorded) != digest:
            raise ConfigError(
                f"the store at {path} belongs to different settings (digest clash)",
                fix=f"delete {path} and run again",
            )
        if recorded is None:
            atomic_write_text(
                identity_file,
                json.dumps(store.identity, indent=2, sort_keys=True, ensure_ascii=False),
            )
        return store

    # ------------------------------------------------------------------ manifest
    def _manifest_path(self) -> Path:
        return self.path / MANIFEST

    def _load_manifest(self) -> None:
        try:
            data = json.loads(self._manifest_path().read_text("utf-8"))
        except FileNotFoundError:
            return
        except ValueError:
            warnings.warn(f"{self._manifest_path()} is unreadable; recomputing", stacklevel=2)
            return
        if data.get("digest") != self.digest or data.get("version") != STORE_VERSION:
            return
        for key, entry in data.get("shards", {}).items():
            with contextlib.suppress(KeyError, TypeError, ValueError):
                self._entries[key] = ShardEntry.from_json(entry)

    def _write_manifest(self) -> None:
        body = {
            "version": STORE_VERSION,
            "digest": self.digest,
            "identity": self.identity,
            "shards": {key: self._entries[key].to_json() for key in sorted(self._entries)},
        }
        atomic_write_text(
            self._manifest_path(), json.dumps(body, indent=1, ensure_ascii=False, default=str)
        )

    def manifest(self) -> dict[str, Any]:
        """Summary for run manifests: where, identity digest, shard count and checksums."""
        return {
            "path": str(self.path),
            "digest": self.digest,
            "shards": len(self._entries),
            "bytes": sum(e.size for e in self._entries.values()),
        }

    # ------------------------------------------------------------------ locking
    @contextlib.contextmanager
    def writing(self) -> Iterator[ActivationStore]:
        """Hold the store's write lock (one writer at a time; freed when the process dies)."""
        handle = (self.path / ".lock").open("ab")
        try:
            if sys.platform != "win32":
                import fcntl

                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError as exc:
                    raise ConfigError(
                        f"another process is writing the activation store {self.path}",
                        fix="wait for it to finish, or use another --out",
                    ) from exc
            self._lock = handle
            yield self
        finally:
            self._lock = None
            handle.close()  # closing releases the flock

    # ------------------------------------------------------------------ shards
    @staticmethod
    def key(group: str, index: int) -> str:
        if not group or not set(group) <= _SAFE_GROUP or group.startswith("."):
            raise ConfigError(f"bad store group name {group!r}", fix="use codes like fra_Latn")
        if index < 0:
            raise ConfigError(f"bad shard index {index}", fix="use indices ≥ 0")
        return f"{group}/{index:05d}"

    def shard_path(self, group: str, index: int) -> Path:
        return self.path / "shards" / f"{self.key(group, index)}.safetensors"

    def entry(self, group: str, index: int) -> ShardEntry | None:
        return self._entries.get(self.key(group, index))

    def __len__(self) -> int:
        return len(self._entries)

    def is_done(
        self, group: str, index: int, texts: Sequence[str], required: Sequence[str] = ()
    ) -> bool:
        """Whether a listed shard exists for exactly these texts with the ``required`` tensors
        (cheap: file size only; checksums are verified by :meth:`read`)."""
        entry = self.entry(group, index)
        if entry is None or entry.texts_sha256 != texts_digest(texts):
            return False
        if any(name not in entry.tensors for name in required):
            return False
        path = self.shard_path(group, index)
        return path.is_file() and path.stat().st_size == entry.size

    def read(
        self, group: str, index: int, texts: Sequence[str] | None = None
    ) -> dict[str, torch.Tensor]:
        """Load a shard after verifying its checksum, tensor names and shapes.

        Raises :class:`CorruptShardError` when anything differs from the manifest (and when
        ``texts`` are given, when they are not the texts the shard was made from)."""
        from safetensors.torch import load

        key = self.key(group, index)
        entry = self._entries.get(key)
        if entry is None:
            raise CorruptShardError(f"shard {key} is not in the store manifest")
        if texts is not None and entry.texts_sha256 != texts_digest(texts):
            raise CorruptShardError(f"shard {key} was computed from other texts")
        path = self.shard_path(group, index)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CorruptShardError(f"shard {key} cannot be read: {exc}") from exc
        if len(data) != entry.size or hashlib.sha256(data).hexdigest() != entry.sha256:
            raise CorruptShardError(f"shard {key} fails its sha256 check")
        try:
            tensors = load(data)
        except Exception as exc:  # safetensors raises its own error types
            raise CorruptShardError(f"shard {key} is not valid safetensors: {exc}") from exc
        shapes = {name: list(t.shape) for name, t in tensors.items()}
        if shapes != entry.tensors:
            raise CorruptShardError(f"shard {key} tensors differ from the manifest")
        self._verified[key] = entry.sha256
        return tensors

    def load_tensor(self, group: str, index: int, name: str) -> torch.Tensor:
        """One tensor of a shard. The shard is verified in full on its first read by this
        process; later reads map only the tensor asked for (analyses read one layer at a
        time, so memory stays at one layer's states)."""
        from safetensors import safe_open

        key = self.key(group, index)
        entry = self._entries.get(key)
        if entry is None or self._verified.get(key) != entry.sha256:
            return self.read(group, index)[name]
        with safe_open(str(self.shard_path(group, index)), framework="pt") as handle:
            tensor: torch.Tensor = handle.get_tensor(name)
        return tensor

    @staticmethod
    def encode(
        texts: Sequence[str], tensors: Mapping[str, torch.Tensor]
    ) -> tuple[bytes, ShardEntry]:
        """A shard's safetensors bytes and the manifest entry describing them."""
        from safetensors.torch import save

        rows = len(texts)
        for name, tensor in tensors.items():
            if tensor.ndim == 0 or tensor.shape[0] != rows:
                shape = tuple(tensor.shape)
                raise ValueError(f"tensor {name!r} has shape {shape}, not [{rows}, …]")
        ordered = {name: tensors[name].detach().cpu().contiguous() for name in sorted(tensors)}
        data = save(ordered)
        entry = ShardEntry(
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            texts_sha256=texts_digest(texts),
            rows=rows,
            tensors={name: list(t.shape) for name, t in ordered.items()},
            dtypes={name: str(t.dtype).removeprefix("torch.") for name, t in ordered.items()},
        )
        return data, entry

    def write(
        self, group: str, index: int, texts: Sequence[str], tensors: Mapping[str, torch.Tensor]
    ) -> ShardEntry:
        """Write a shard atomically, then record it in the manifest (in that order)."""
        if self._lock is None:
            raise RuntimeError("ActivationStore.write needs `with store.writing():`")
        data, entry = self.encode(texts, tensors)
        key = self.key(group, index)
        self._entries.pop(key, None)  # never list a shard while its file is being replaced
        atomic_write_bytes(self.shard_path(group, index), data)
        self._entries[key] = entry
        self._verified[key] = entry.sha256
        self._write_manifest()
        return entry

    def write_file(
        self, group: str, index: int, texts: Sequence[str], tensors: Mapping[str, torch.Tensor]
    ) -> ShardEntry:
        """Write a shard's file atomically *without* listing it (no lock needed): what a
        sweep worker does; the lock holder lists it with :meth:`adopt`."""
        data, entry = self.encode(texts, tensors)
        atomic_write_bytes(self.shard_path(group, index), data)
        return entry

    def adopt(self, group: str, index: int, entry: ShardEntry) -> None:
        """List a shard another process wrote with :meth:`write_file`, after checking that
        the file on disk has exactly the bytes ``entry`` describes (CorruptShardError if not)."""
        if self._lock is None:
            raise RuntimeError("ActivationStore.adopt needs `with store.writing():`")
        key = self.key(group, index)
        try:
            data = self.shard_path(group, index).read_bytes()
        except OSError as exc:
            raise CorruptShardError(f"shard {key} cannot be read: {exc}") from exc
        if len(data) != entry.size or hashlib.sha256(data).hexdigest() != entry.sha256:
            raise CorruptShardError(f"shard {key} on disk is not the one its worker wrote")
        self._entries[key] = entry
        self._verified[key] = entry.sha256
        self._write_manifest()

    def get_or_compute(
        self,
        group: str,
        index: int,
        texts: Sequence[str],
        compute: Callable[[], Mapping[str, torch.Tensor]],
        *,
        required: Sequence[str] = (),
    ) -> dict[str, torch.Tensor]:
        """The shard's tensors: read and verified when present, else computed and written.

        A shard that is missing, made from other texts, lacks a ``required`` tensor, or fails
        verification is recomputed (a corrupt one is reported in :attr:`recomputed`)."""
        key = self.key(group, index)
        if self.is_done(group, index, texts, required):
            try:
                return self.read(group, index, texts)
            except CorruptShardError as exc:
                warnings.warn(f"{exc}; recomputing it", stacklevel=2)
                self.recomputed.append(key)
        else:
            entry = self.entry(group, index)
            path = self.shard_path(group, index)
            if entry is not None and path.is_file() and path.stat().st_size != entry.size:
                warnings.warn(f"shard {key} has the wrong size; recomputing it", stacklevel=2)
                self.recomputed.append(key)
        tensors = dict(compute())
        self.write(group, index, texts, tensors)
        self.computed.append(key)
        return tensors

    def clean_temporary(self) -> int:
        """Remove temporary files left by a killed writer; return how many."""
        removed = 0
        for tmp in (self.path / "shards").rglob(".*.tmp"):
            tmp.unlink(missing_ok=True)
            removed += 1
        for tmp in self.path.glob(f".{MANIFEST}.*.tmp"):
            tmp.unlink(missing_ok=True)
            removed += 1
        return removed

    def verify(self) -> list[str]:
        """Keys of listed shards that fail verification (reads every shard)."""
        bad = []
        for key in sorted(self._entries):
            group, _, index = key.rpartition("/")
            try:
                self.read(group, int(index))
            except CorruptShardError:
                bad.append(key)
        return bad

    def __repr__(self) -> str:
        return f"ActivationStore({str(self.path)!r}, shards={len(self._entries)})"
