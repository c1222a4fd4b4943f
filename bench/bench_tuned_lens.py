"""Tuned-lens training cost: the coarse KL (top-k union + sampled rest bucket) against the exact
full-vocabulary KL, on the same batches of language-balanced FLORES sentences, and the
projected wall time of a training run.

Both losses train the same fresh lens for ``--steps`` steps of ``--batch`` sentences drawn
round-robin from all FLORES dev languages; the script prints positions per second for each and
the time ``babelscope lens train --tokens N`` would take at the coarse rate (target: ≤ 30 min).

Run: ``.venv/bin/python bench/bench_tuned_lens.py [--model gemma-3-270m] [--steps 3]
[--tokens 100000]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from babelscope import load_model
from babelscope.data.flores import FloresDataset
from babelscope.lens.train import LensTrainSettings, train_tuned_lens

from _common import FLORES, machine, show


def rate(handle: object, texts: dict[str, list[str]], loss: str, steps: int, batch: int) -> float:
    """Training positions per second over ``steps`` steps, after one untimed warm-up step."""
    settings = LensTrainSettings(tokens=10**9, batch_sentences=batch, loss=loss)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as out:
        _, warm = train_tuned_lens(handle, texts, out, settings=settings, stop_after_steps=1)  # type: ignore[arg-type]
        start = time.perf_counter()
        _, timed = train_tuned_lens(handle, texts, out, settings=settings, stop_after_steps=steps)  # type: ignore[arg-type]
        seconds = time.perf_counter() - start
    return (timed.positions - warm.positions) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="gemma-3-270m")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=100_000)
    args = parser.parse_args()
    handle = load_model(args.model)
    data = FloresDataset.open(os.environ.get("BABELSCOPE_FLORES", str(FLORES)))
    texts = data.parallel(data.languages("dev"), "dev")
    coarse = rate(handle, texts, "coarse", args.steps, args.batch)
    full = rate(handle, texts, "full", args.steps, args.batch)
    show(
        [
            ("machine", machine()),
            ("model", args.model),
            ("coarse KL (default on CPU)", f"{coarse:.0f} positions/s"),
            ("full-vocabulary KL (baseline)", f"{full:.0f} positions/s"),
            ("speed-up of the coarse loss", f"{coarse / full:.1f}×"),
            (
                f"projected `lens train --tokens {args.tokens}`",
                f"{args.tokens / coarse / 60:.1f} min (target ≤ 30 min)",
            ),
        ]
    )


if __name__ == "__main__":
    main()
