"""The ranking pipeline: parallel sentences → activation store → metric tables → RankResult.

Two phases. (1) :func:`fill_store` runs the model once per shard (pooled states of every layer
and, optionally, next-token statistics from the same forward) and writes verified shards;
shards already in the store are read, not recomputed. (2) The metrics, identity-vs-meaning,
script barrier and text tables are computed layer by layer from the store. Phase 2 is cheap,
deterministic and holds no more than one layer in memory, so a resumed run reproduces an
uninterrupted one bit for bit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babelscope.analyses.ranking.metrics import compute_layer_tables
from babelscope.analyses.ranking.result import RankResult
from babelscope.analyses.ranking.script import ROMAN_SUFFIX, code_script, needs_romanising, romanize
from babelscope.analyses.ranking.settings import RankSettings
from babelscope.analyses.ranking.summary import agreement, summarise
from babelscope.analyses.ranking.text import compute_text_table
from babelscope.capture.store import ActivationStore
from babelscope.collect.fill import fill_store
from babelscope.collect.groups import Group
from babelscope.collect.identity import store_identity
from babelscope.collect.reader import StoreReader
from babelscope.errors import DataError

if TYPE_CHECKING:
    from babelscope.data.flores import FloresDataset
    from babelscope.models.handle import ModelHandle


#: The cache area (see :func:`babelscope.paths.cache_subdir`) of :func:`rank`'s default store.
RANK_STORES = "rank-stores"


@dataclass
class RankRun:
    """A finished run: the result plus what the run manifest records about how it went."""

    result: RankResult
    store: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


def resolve_run_languages(
    dataset: FloresDataset, languages: str | Sequence[str], split: str
) -> list[str]:
    """Dataset codes for ``"all"`` or a list/comma string of codes in any common spelling."""
    available = dataset.languages(split)
    items = [languages] if isinstance(languages, str) else list(languages)
    codes = [part.strip() for item in items for part in str(item).split(",") if part.strip()]
    if not codes:
        raise DataError("no languages given", fix="pass --languages all or a list of codes")
    if any(code.lower() == "all" for code in codes):
        return available
    out: list[str] = []
    for code in codes:
        try:
            found = dataset.resolve(code, split)
        except DataError:
            from babelscope.languages.registry import resolve_language

            found = dataset.resolve(resolve_language(code).code, split)
        if found not in out:
            out.append(found)
    return out


def build_groups(
    dataset: FloresDataset, codes: Sequence[str], pivot: str, settings: RankSettings
) -> tuple[list[Group], list[str], list[str]]:
    """Store groups in run order (pivot first; each language followed by its romanised twin),
    the languages with a twin, and notes about languages left out of the script barrier."""
    groups: list[Group] = []
    romanised: list[str] = []
    notes: list[str] = []
    for code in dict.fromkeys([pivot, *codes]):
        texts = tuple(dataset.sentences(code, settings.split, settings.sentences))
        groups.append(Group(code, code, texts, settings.text_metrics))
        if settings.script_barrier and code != pivot and needs_romanising(code):
            roman = tuple(romanize(texts, settings.romanizer))
            if any(not text.strip() for text in roman):
                notes.append(f"{code}: romanisation left an empty sentence; no script barrier")
                continue
            groups.append(Group(f"{code}{ROMAN_SUFFIX}", code, roman, False))
            romanised.append(code)
    return groups, romanised, notes


def run_rank(
    handle: ModelHandle,
    dataset: FloresDataset,
    *,
    languages: str | Sequence[str] = "all",
    settings: RankSettings | None = None,
    store_dir: str | Path,
    progress: bool = True,
    data_spec: str | None = None,
    on_shard: Callable[[str, int], None] | None = None,
) -> RankRun:
    """Rank ``languages`` of ``dataset`` by how ``handle``'s model represents them.

    States are kept in an :class:`ActivationStore` under ``store_dir`` (re-running with the
    same store resumes). Returns the :class:`RankResult` with timings and store details."""
    settings = settings or RankSettings()
    started = time.perf_counter()
    pivot = dataset.resolve(settings.pivot, settings.split)
    codes = resolve_run_languages(dataset, languages, settings.split)
    if [c for c in codes if c != pivot] == []:
        raise DataError(f"only the pivot {pivot} was asked for", fix="pass other languages to rank")
    spec = settings.forward_spec(handle.n_layers)
    groups, romanised, notes = build_groups(dataset, codes, pivot, settings)
    store = ActivationStore.open(Path(store_dir), store_identity(handle, spec))
    fill = fill_store(
        handle,
        store,
        groups,
        spec,
        shard_size=settings.shard_size,
        progress=progress,
        on_shard=on_shard,
    )
    filled = time.perf_counter()
    reader = StoreReader(store, groups, settings.shard_size)
    ranked = [c for c in dict.fromkeys([pivot, *codes])]
    summary_layers = settings.summary_layer_list(list(spec.layers), handle.n_layers)
    tables = compute_layer_tables(
        reader,
        ranked,
        pivot,
        list(spec.layers),
        settings,
        summary_layers=summary_layers,
        script_languages=romanised,
        scripts={code: code_script(code) for code in romanised},
    )
    text = compute_text_table(reader, ranked, pivot, text_metrics=settings.text_metrics)
    summary = summarise(
        tables.metrics,
        text,
        summary_layers,
        pivot,
        replicates=tables.replicates,
        replicate_languages=tables.replicate_languages,
        level=settings.interval_level,
    )
    result = RankResult(
        model=handle.provenance(),
        settings=settings.to_manifest(),
        data={
            "spec": data_spec or dataset.source,
            "split": settings.split,
            "sentences": settings.sentences,
            "languages": ranked,
            "romanised": romanised,
            "data_sha256": dataset.data_hash(ranked, settings.split, settings.sentences),
        },
        pivot=pivot,
        layers=list(spec.layers),
        summary_layers=summary_layers,
        summary=summary,
        layer_metrics=tables.metrics,
        identity=tables.identity,
        script=tables.script,
        text=text,
        spearman=agreement(summary),
        notes=notes,
    )
    done = time.perf_counter()
    timings = {
        **fill,
        "store_seconds": round(filled - started, 3),
        "analysis_seconds": round(done - filled, 3),
        "total_seconds": round(done - started, 3),
        "recomputed_shards": float(len(store.recomputed)),
        "computed_shards": float(len(store.computed)),
    }
    return RankRun(result, store.manifest(), timings)


def rank(
    handle: ModelHandle,
    dataset: FloresDataset,
    *,
    languages: str | Sequence[str] = "all",
    settings: RankSettings | None = None,
    store_dir: str | Path | None = None,
    progress: bool = False,
) -> RankResult:
    """Notebook entry point: :func:`run_rank` without the run bookkeeping.

    Without ``store_dir`` the activation store lives in the cache (``<cache>/rank-stores``,
    see :mod:`babelscope.paths`), one folder per model and forward settings, so asking again
    for the same model and languages reuses the states instead of recomputing them."""
    from babelscope.paths import cache_subdir

    return run_rank(
        handle,
        dataset,
        languages=languages,
        settings=settings,
        store_dir=store_dir if store_dir is not None else cache_subdir(RANK_STORES),
        progress=progress,
    ).result
