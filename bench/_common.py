"""Shared helpers for the benchmark scripts (not part of the package)."""

from __future__ import annotations

import os
import platform
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[1]
FLORES = REPO.parent / "shared" / "data" / "flores200_dev.tar.xz"
BENCH_LANGS = [
    "eng_Latn", "fra_Latn", "deu_Latn", "zho_Hans", "jpn_Jpan", "rus_Cyrl",
    "arb_Arab", "hin_Deva", "yor_Latn", "swh_Latn", "spa_Latn", "kor_Hang",
]  # fmt: skip

T = TypeVar("T")


def flores_sentences(n: int, langs: list[str] | None = None) -> list[str]:
    """``n`` FLORES dev sentences spread evenly over ``langs`` (different sentence ids per
    language so the set is not just one sentence translated)."""
    from babelscope.data.flores import FloresDataset

    langs = langs or BENCH_LANGS[:8]
    data = FloresDataset.open(os.environ.get("BABELSCOPE_FLORES", str(FLORES)))
    per = -(-n // len(langs))
    texts: list[str] = []
    for k, lang in enumerate(langs):
        texts.extend(data.sentences(lang, "dev")[k * per : (k + 1) * per])
    return texts[:n]


def timed(fn: Callable[[], T], repeat: int = 1) -> tuple[float, T]:
    """Best wall time of ``repeat`` runs and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result  # type: ignore[return-value]


def machine() -> str:
    import torch

    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads)"
    )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def show(rows: list[tuple[str, Any]]) -> None:
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
