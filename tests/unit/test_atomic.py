"""Atomic writes: complete or absent, readable like a plain open() would make them."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from babelscope.atomic import _file_mode, atomic_write, atomic_write_text
from babelscope.runs import RunFolder


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_mode_follows_the_umask_not_mkstemps_private_default(tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("x")  # what open() gives under the current umask
    written = atomic_write_text(tmp_path / "atomic.txt", "x")
    assert _mode(written) == _mode(plain) == _file_mode()


def test_run_folder_files_are_shareable(tmp_path: Path) -> None:
    # Regression: plots in run folders were written 0600, unreadable to colleagues.
    folder = RunFolder(tmp_path / "run")
    png = folder.write_bytes("plots/a.png", b"\x89PNG")
    assert _mode(png) == _file_mode()


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "table.parquet"
    target.write_bytes(b"old")

    def half_then_fail(handle: object) -> None:
        handle.write(b"half")  # type: ignore[attr-defined]
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError, match="killed"):
        atomic_write(target, half_then_fail)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.parquet"]
