"""Load time of each bundled model, each load in a fresh Python process (so nothing is warm),
split into the import of torch + transformers (their cost, the same for any HF tool) and
babelscope's ``load_model`` after those imports.

Rows per model, all from the same run:
- cached load: ``load_model`` on a complete cache entry (tokenizer read straight from its
  ``tokenizer.json``, see ``babelscope/models/fast_tokenizer.py``);
- baseline: the same load with the tokenizer built by ``AutoTokenizer.from_pretrained``, as
  before the fast path (for gemma-3-270m it rebuilds the 262k-token BPE in Python);
- with ``--conversion``: the first load into an empty cache (GGUF de-quantised and written),
  which every start would cost without babelscope's cache.

Run: ``.venv/bin/python bench/bench_load.py [--model gemma-3-270m ...] [--conversion]``.
Target: a cached load ≤ 2.5 s after imports. Uses the normal babelscope cache (converting once
if needed). The machine's load average is printed, and each load's CPU seconds beside its wall
time: on 2 shared cores other work inflates wall times, CPU time much less.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

from _common import machine, show

# Prints the seconds spent importing and loading, measured inside the fresh process.
LOAD = """
import json, time
t0 = time.perf_counter()
import torch, transformers
from transformers import AutoModelForCausalLM, AutoTokenizer
from transformers import Gemma3ForCausalLM, LlamaForCausalLM  # their modules import lazily
import babelscope.models.loader as loader
t1, c1 = time.perf_counter(), time.process_time()
if {baseline!r}:
    loader.load_fast_tokenizer = lambda folder: None  # from_pretrained, as before the fast path
handle = loader.load_model({spec!r}, progress=False)
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({{"imports": t1 - t0, "load": t2 - t1, "cpu": c2 - c1,
                   "tokenizer": type(handle.tokenizer).__name__}}))
"""


def fresh_process(spec: str, env: dict[str, str], *, baseline: bool = False) -> dict[str, float]:
    code = LOAD.format(spec=spec, baseline=baseline)
    done = subprocess.run(
        [sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True
    )
    times: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return times


def best_of(n: int, spec: str, env: dict[str, str], *, baseline: bool = False) -> dict[str, float]:
    return min(
        (fresh_process(spec, env, baseline=baseline) for _ in range(n)), key=lambda t: t["load"]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", action="append", default=None)
    parser.add_argument("--repeat", type=int, default=3, help="best of N fresh processes")
    parser.add_argument(
        "--conversion", action="store_true", help="also time a first load into an empty cache"
    )
    args = parser.parse_args()
    models = args.model or ["smollm2-135m", "gemma-3-270m"]
    print(f"load bench: a fresh process per load, best of {args.repeat}; {machine()}")
    print(f"  load average before the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    env = dict(os.environ)
    for spec in models:
        fresh_process(spec, env)  # converts into the cache if this machine never did
        # Interleave the two variants so a burst of other work on the machine hits both.
        fast: list[dict[str, float]] = []
        slow: list[dict[str, float]] = []
        for _ in range(args.repeat):
            fast.append(fresh_process(spec, env))
            slow.append(fresh_process(spec, env, baseline=True))
        cached = min(fast, key=lambda t: t["load"])
        baseline = min(slow, key=lambda t: t["load"])
        rows = [
            (
                f"{spec}: cached load",
                f"{cached['load']:6.2f} s  (CPU {cached['cpu']:.2f} s; target ≤ 2.5 s; "
                f"tokenizer {cached['tokenizer']})",
            ),
            (
                f"{spec}: baseline (from_pretrained tokenizer)",
                f"{baseline['load']:6.2f} s  (CPU {baseline['cpu']:.2f} s; "
                f"{baseline['load'] / cached['load']:.1f}x slower; "
                f"tokenizer {baseline['tokenizer']})",
            ),
            (
                f"{spec}: + importing torch/transformers",
                f"{cached['imports']:6.2f} s  "
                f"(whole fresh process: {cached['imports'] + cached['load']:.1f} s)",
            ),
        ]
        if args.conversion:
            with tempfile.TemporaryDirectory() as cache:
                first = fresh_process(spec, {**env, "BABELSCOPE_CACHE": cache})
            rows.append(
                (
                    f"{spec}: first load (conversion)",
                    f"{first['load']:6.1f} s  ({first['load'] / cached['load']:.0f}x the cached)",
                )
            )
        show(rows)
    print(f"  load average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
