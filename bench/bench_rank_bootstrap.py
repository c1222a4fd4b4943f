"""Cost of the ranking metrics with nulls and bootstrap intervals, per language × layer.

Synthetic pooled states of the bundled models' width (D = 576 for smollm2-135m, 640 for
gemma-3-270m) and N sentences; times, per (language, layer) cell, (a) the six metrics and
retrieval computed directly from the states as the analysis step did before nulls and
intervals (``pair_metrics``), (b) the cached path with shuffled-pair nulls only (B = 0) and
(c) with B bootstrap replicates, then extrapolates to a 204-language run. Ratios are against
(a) from the same run.

    python bench/bench_rank_bootstrap.py [--sentences 50 100] [--width 576] [--cells 40]
"""

from __future__ import annotations

import argparse
import time

import torch

from babelscope.analyses.ranking.metrics import pair_metrics
from babelscope.analyses.ranking.settings import METRICS
from babelscope.analyses.ranking.uncertainty import PivotLayer, Resamples, language_layer

POOLINGS = {m: p for m in (*METRICS, "retrieval") for p in ["weighted_mean"]}
POOLINGS["ranker"] = "last"


def cells(n: int, d: int, count: int) -> list[dict[str, torch.Tensor]]:
    generator = torch.Generator().manual_seed(0)
    meaning = torch.randn(n, d, generator=generator, dtype=torch.float64)
    return [
        {
            p: meaning + torch.randn(n, d, generator=generator, dtype=torch.float64)
            for p in ("last", "weighted_mean")
        }
        for _ in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sentences", type=int, nargs="+", default=[50, 100])
    parser.add_argument("--width", type=int, default=576)
    parser.add_argument("--cells", type=int, default=40)
    parser.add_argument("--bootstrap", type=int, default=200)
    args = parser.parse_args()
    print(f"torch threads {torch.get_num_threads()}, D = {args.width}, {args.cells} cells")
    for n in args.sentences:
        keep = max(1, min(20, (n - 1) // 4))
        pivot_states, *langs = cells(n, args.width, args.cells + 1)
        started = time.perf_counter()
        for states in langs:
            for metric in (*METRICS, "retrieval"):
                pooling = POOLINGS[metric]
                pair_metrics(pivot_states[pooling], states[pooling], metric, svcca_keep=keep)
        direct = (time.perf_counter() - started) / len(langs)
        timings = {}
        for replicates in (0, args.bootstrap):
            resamples = Resamples.draw(n, replicates, 5, seed=0)
            started = time.perf_counter()
            pivot = PivotLayer.build(pivot_states, "weighted_mean", keep, resamples)
            for states in langs:
                language_layer(pivot, states, POOLINGS, keep, resamples)
            timings[replicates] = (time.perf_counter() - started) / len(langs)
        for label, seconds in (
            ("direct, no nulls or intervals", direct),
            ("cached, nulls (5 pairings)", timings[0]),
            (f"cached, nulls + B={args.bootstrap}", timings[args.bootstrap]),
        ):
            print(
                f"N={n:4d} {label:32s} {1000 * seconds:7.1f} ms/cell  "
                f"x{seconds / direct:5.2f}  204 langs x 31 layers: {seconds * 204 * 31:6.0f} s, "
                f"x 19 layers: {seconds * 204 * 19:6.0f} s"
            )


if __name__ == "__main__":
    main()
