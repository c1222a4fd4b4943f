"""The activation store: verified shards, crash leftovers, identity folders, one writer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from babelscope.capture.store import ActivationStore, CorruptShardError, texts_digest
from babelscope.errors import ConfigError

IDENTITY = {"model_sha256": "abc", "forward": {"layers": [0, 1]}}
TEXTS = ["one", "two", "three"]


def _tensors(seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {
        "last.1": torch.randn(3, 4, generator=g),
        "n_tokens": torch.tensor([2, 3, 4]),
    }


class Counter:
    def __init__(self, seed: int = 0) -> None:
        self.calls, self.seed = 0, seed

    def __call__(self) -> dict[str, torch.Tensor]:
        self.calls += 1
        return _tensors(self.seed)


def _store(tmp_path: Path, identity: dict | None = None) -> ActivationStore:
    return ActivationStore.open(tmp_path / "store", identity or IDENTITY)


def test_round_trip_and_reuse_across_processes(tmp_path: Path) -> None:
    compute = Counter()
    store = _store(tmp_path)
    with store.writing():
        first = store.get_or_compute("fra_Latn", 0, TEXTS, compute)
    reopened = _store(tmp_path)  # what a resumed process sees
    with reopened.writing():
        again = reopened.get_or_compute("fra_Latn", 0, TEXTS, compute)
    assert compute.calls == 1
    assert torch.equal(first["last.1"], again["last.1"])
    assert reopened.computed == [] and reopened.recomputed == []
    manifest = json.loads((reopened.path / "manifest.json").read_text())
    entry = manifest["shards"]["fra_Latn/00000"]
    assert entry["rows"] == 3 and entry["tensors"]["last.1"] == [3, 4]
    assert entry["texts_sha256"] == texts_digest(TEXTS)
    assert reopened.load_tensor("fra_Latn", 0, "n_tokens").tolist() == [2, 3, 4]


def test_same_tensors_give_identical_bytes(tmp_path: Path) -> None:
    a, b = _store(tmp_path / "a"), _store(tmp_path / "b")
    with a.writing(), b.writing():
        a.write("x", 0, TEXTS, _tensors())
        b.write("x", 0, TEXTS, dict(reversed(list(_tensors().items()))))
    assert a.shard_path("x", 0).read_bytes() == b.shard_path("x", 0).read_bytes()


def test_corrupt_shard_is_detected_and_recomputed_never_read(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.writing():
        good = store.get_or_compute("deu_Latn", 0, TEXTS, Counter(seed=0))
    path = store.shard_path("deu_Latn", 0)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF  # flip bits inside the tensor payload; the size stays the same
    path.write_bytes(bytes(data))
    reopened = _store(tmp_path)
    with pytest.raises(CorruptShardError, match="sha256"):
        reopened.read("deu_Latn", 0)
    recompute = Counter(seed=0)
    with reopened.writing(), pytest.warns(UserWarning, match="recomputing"):
        fixed = reopened.get_or_compute("deu_Latn", 0, TEXTS, recompute)
    assert recompute.calls == 1 and reopened.recomputed == ["deu_Latn/00000"]
    assert torch.equal(fixed["last.1"], good["last.1"])
    assert reopened.verify() == []


def test_truncated_shard_is_recomputed(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.writing():
        store.get_or_compute("deu_Latn", 0, TEXTS, Counter())
    path = store.shard_path("deu_Latn", 0)
    path.write_bytes(path.read_bytes()[:40])
    reopened = _store(tmp_path)
    assert not reopened.is_done("deu_Latn", 0, TEXTS)
    assert reopened.verify() == ["deu_Latn/00000"]
    compute = Counter()
    with reopened.writing(), pytest.warns(UserWarning, match="wrong size"):
        reopened.get_or_compute("deu_Latn", 0, TEXTS, compute)
    assert compute.calls == 1 and reopened.verify() == []


def test_shard_written_but_not_listed_is_recomputed(tmp_path: Path) -> None:
    """A kill between the shard's rename and the manifest update leaves an unlisted file."""
    store = _store(tmp_path)
    with store.writing():
        store.write("spa_Latn", 0, TEXTS, _tensors())
    manifest = store.path / "manifest.json"
    body = json.loads(manifest.read_text())
    body["shards"] = {}
    manifest.write_text(json.dumps(body))
    reopened = _store(tmp_path)
    compute = Counter()
    with reopened.writing():
        reopened.get_or_compute("spa_Latn", 0, TEXTS, compute)
    assert compute.calls == 1


def test_temporary_leftovers_are_removed(tmp_path: Path) -> None:
    store = _store(tmp_path)
    stray = store.path / "shards" / "fra_Latn" / ".00000.safetensors.abc.tmp"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"half a shard")
    assert store.clean_temporary() == 1 and not stray.exists()


def test_other_texts_or_missing_tensors_mean_recompute(tmp_path: Path) -> None:
    store = _store(tmp_path)
    compute = Counter()
    with store.writing():
        store.get_or_compute("fra_Latn", 0, TEXTS, compute)
        store.get_or_compute("fra_Latn", 0, ["one", "two", "four"], compute)
        store.get_or_compute("fra_Latn", 0, ["one", "two", "four"], compute)
        assert compute.calls == 2
        with pytest.raises(CorruptShardError, match="other texts"):
            store.read("fra_Latn", 0, TEXTS)
        store.get_or_compute("fra_Latn", 0, ["one", "two", "four"], compute, required=["nll"])
    assert compute.calls == 3


def test_other_settings_get_their_own_folder(tmp_path: Path) -> None:
    a = _store(tmp_path)
    b = _store(tmp_path, {**IDENTITY, "forward": {"layers": [0, 1, 2]}})
    assert a.path != b.path and a.path.parent == b.path.parent
    with a.writing():
        a.write("fra_Latn", 0, TEXTS, _tensors())
    assert b.entry("fra_Latn", 0) is None
    assert json.loads((b.path / "identity.json").read_text())["forward"]["layers"] == [0, 1, 2]


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    a, b = _store(tmp_path), _store(tmp_path)
    with a.writing(), pytest.raises(ConfigError, match="another process"), b.writing():
        pass
    with b.writing():  # released when the first writer is done
        pass


def test_writes_need_the_lock_and_rows_must_match(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(RuntimeError, match="writing"):
        store.write("fra_Latn", 0, TEXTS, _tensors())
    with store.writing(), pytest.raises(ValueError, match="shape"):
        store.write("fra_Latn", 0, ["only one"], _tensors())
    with pytest.raises(ConfigError, match="group"):
        store.key("../escape", 0)


def test_worker_files_are_listed_only_after_their_checksum(tmp_path: Path) -> None:
    texts = TEXTS
    worker = _store(tmp_path)  # a sweep worker: writes the file, no lock, no manifest entry
    entry = worker.write_file("fra_Latn", 0, texts, _tensors())
    again = worker.write_file("fra_Latn", 0, texts, _tensors())  # a retried duplicate
    assert again == entry and worker.entry("fra_Latn", 0) is None
    driver = _store(tmp_path)
    with pytest.raises(RuntimeError):
        driver.adopt("fra_Latn", 0, entry)  # listing needs the lock
    with driver.writing():
        driver.adopt("fra_Latn", 0, entry)
        assert torch.equal(driver.read("fra_Latn", 0, texts)["last.1"], _tensors()["last.1"])
        other = worker.write_file("fra_Latn", 1, texts, _tensors(seed=1))
        path = driver.shard_path("fra_Latn", 1)
        path.write_bytes(path.read_bytes()[:-1] + b"\x00")  # the file is not what was written
        with pytest.raises(CorruptShardError):
            driver.adopt("fra_Latn", 1, other)
    assert len(_store(tmp_path)) == 1  # the manifest lists the one good shard
