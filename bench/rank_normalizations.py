"""Rank the languages of a finished ``babelscope rank`` store under every normalisation.

Evidence for the default normalisation (docs/rank.md): reads the store of a run folder (no
forward pass), recomputes the layer tables under ``raw``, ``pivot``, ``massive`` and ``all``,
and prints per language the mean over blocks and the best-layer value of MEXA (and friends),
the Spearman ρ between variants, and whether dropping one language changes the others' values.

    python bench/rank_normalizations.py RUN_FOLDER [--sentences N] [--drop LANG]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

from babelscope.analyses.ranking.metrics import compute_layer_tables
from babelscope.analyses.ranking.settings import RankSettings
from babelscope.capture.store import ActivationStore
from babelscope.collect import Group, StoreReader


def open_reader(run: Path, sentences: int) -> tuple[StoreReader, list[str], list[int]]:
    folder = next((run / "store").iterdir())
    identity = json.loads((folder / "identity.json").read_text())
    store = ActivationStore.open(run / "store", identity)
    languages = sorted(p.name for p in (folder / "shards").iterdir() if "@" not in p.name)
    groups = [Group(lang, lang, ("",) * sentences, False) for lang in languages]
    return StoreReader(store, groups, 64), languages, identity["forward"]["layers"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run", type=Path)
    parser.add_argument("--sentences", type=int, default=100)
    parser.add_argument("--modes", default="raw,pivot,massive,all")
    parser.add_argument("--bootstrap", type=int, default=0)
    parser.add_argument("--drop", default="yor_Latn")
    args = parser.parse_args()
    reader, languages, layers = open_reader(args.run, args.sentences)
    blocks = [layer for layer in layers if layer >= 1]
    pivot = "eng_Latn"
    frames = []
    for mode in args.modes.split(","):
        settings = RankSettings(normalization=mode, bootstrap=args.bootstrap, sentences=4)
        started = time.perf_counter()
        tables = compute_layer_tables(
            reader, languages, pivot, layers, settings, summary_layers=blocks
        )
        seconds = time.perf_counter() - started
        m = tables.metrics[~tables.metrics["metric"].str.endswith("_raw")]
        m = m[m["layer"].isin(blocks)]
        mean = m.pivot_table(index="language", columns="metric", values="value", aggfunc="mean")
        best = m.pivot_table(index="language", columns="metric", values="value", aggfunc="max")
        null = m.pivot_table(index="language", columns="metric", values="null", aggfunc="mean")
        peak = m[m["metric"] == "mexa"].sort_values("value").groupby("language").tail(1)
        frame = pd.DataFrame(
            {
                "mode": mode,
                "mexa_mean": mean["mexa"],
                "mexa_best": best["mexa"],
                "mexa_peak_layer": peak.set_index("language")["layer"],
                "mexa_null": null["mexa"],
                "adj_mean": mean["adjusted_cosine"],
                "ranker_mean": mean["ranker"],
                "cka_mean": mean["cka"],
                "cka_deb_mean": mean["cka_debiased"],
                "cka_deb_null": null["cka_debiased"],
                "svcca_mean": mean["svcca"],
                "svcca_null": null["svcca"],
            }
        )
        frames.append(frame)
        print(f"{mode}: {seconds:.1f} s for {len(languages) - 1} languages x {len(layers)} layers")
        if args.drop in languages:
            fewer = [lang for lang in languages if lang != args.drop]
            smaller = compute_layer_tables(
                reader, fewer, pivot, layers, settings, summary_layers=blocks
            ).metrics
            merged = tables.metrics.merge(smaller, on=["language", "layer", "metric"])
            delta = (merged["value_x"] - merged["value_y"]).abs().max()
            print(f"  dropping {args.drop}: max |change| of the others' values {delta:.3g}")
    table = pd.concat(frames).reset_index()
    pd.set_option("display.width", 200)
    print(table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
