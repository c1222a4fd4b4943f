"""Does the Language Ranker measure the full stop? Per-sentence evidence from a run's store.

For every sentence of every language the raw last-token cosine with its English translation
(the Ranker's per-sentence value, mean over blocks) is split by whether the translation ends
with ``.`` like the English one; the same split is shown for the pivot-z-scored Ranker and
for MEXA's per-sentence hits. A metric of meaning should not care about the final character.

    python bench/rank_punctuation.py RUN_FOLDER FLORES_PATH [--sentences N]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from scipy.stats import spearmanr

from babelscope.analyses.geometry._arrays import unit_rows
from babelscope.analyses.ranking.normalize import layer_transform
from babelscope.analyses.ranking.uncertainty import per_sentence
from babelscope.collect.spec import state_name
from babelscope.data.flores import FloresDataset
from rank_normalizations import open_reader


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run", type=Path)
    parser.add_argument("flores")
    parser.add_argument("--sentences", type=int, default=100)
    args = parser.parse_args()
    reader, languages, layers = open_reader(args.run, args.sentences)
    data = FloresDataset.open(args.flores)
    blocks = [layer for layer in layers if layer >= 1]
    rows = []
    for lang in languages:
        if lang == "eng_Latn":
            continue
        texts = data.sentences(lang, "dev")[: args.sentences]
        stop = [t.rstrip().endswith(".") for t in texts]
        values: dict[str, float] = {}
        for mode in ("raw", "pivot"):
            for metric, pooling in (("ranker", "last"), ("mexa", "weighted_mean")):
                total = 0.0
                for layer in blocks:
                    name = state_name(pooling, layer)
                    transform = layer_transform(reader, mode, "eng_Latn", languages, name)
                    x = unit_rows(transform(reader.get("eng_Latn", name)))
                    y = unit_rows(transform(reader.get(lang, name)))
                    total = total + per_sentence(x @ y.T, metric)
                values[f"{metric}_{mode}"] = total / len(blocks)
        for i, ends in enumerate(stop):
            rows.append(
                {"language": lang, "ends_with_stop": ends}
                | {k: float(v[i]) for k, v in values.items()}
            )
    frame = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    by = frame.groupby(["language", "ends_with_stop"]).mean().round(3)
    print(by.to_string())
    share = frame.groupby("language")["ends_with_stop"].mean()
    means = frame.groupby("language").mean(numeric_only=True)
    for column in means.columns.drop("ends_with_stop"):
        rho = spearmanr(means[column], share).statistic
        print(f"languages: rho({column}, share ending in '.') = {rho:.2f}")
    inside = frame.groupby("language").filter(lambda g: g["ends_with_stop"].nunique() == 2)
    for column in ("ranker_raw", "ranker_pivot", "mexa_raw", "mexa_pivot"):
        gap = inside.groupby(["language", "ends_with_stop"])[column].mean().unstack()
        print(
            f"{column}: mean gap (ends with '.' minus not) within languages "
            f"{(gap[True] - gap[False]).mean():.3f}; spread of language means "
            f"{means[column].std():.3f}"
        )
    print(share.round(2).to_string())


if __name__ == "__main__":
    main()
