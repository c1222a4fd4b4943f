"""Load time of each bundled model: first load (GGUF conversion into a fresh cache) and cached
load, each in a fresh Python process (so imports count, as they do for a user), split into the
import of torch + transformers (their cost, the same for any HF tool) and babelscope's load.
Baseline: the conversion every user would otherwise pay on every start (transformers re-reads
and de-quantises the GGUF each time).

Run: ``.venv/bin/python bench/bench_load.py [--model gemma-3-270m ...]``.
Target: a cached load ≤ 5 s.
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
t1 = time.perf_counter()
from babelscope import load_model
load_model({spec!r}, progress=False)
t2 = time.perf_counter()
print(json.dumps({{"imports": t1 - t0, "load": t2 - t1}}))
"""


def fresh_process(spec: str, env: dict[str, str]) -> dict[str, float]:
    code = LOAD.format(spec=spec)
    done = subprocess.run(
        [sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True
    )
    times: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", action="append", default=None)
    args = parser.parse_args()
    models = args.model or ["smollm2-135m", "gemma-3-270m"]
    print(f"load bench: a fresh process per load, best of 3 for cached; {machine()}")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "BABELSCOPE_CACHE": cache}
        for spec in models:
            first = fresh_process(spec, env)
            cached = min((fresh_process(spec, env) for _ in range(3)), key=lambda t: t["load"])
            show(
                [
                    (f"{spec}: first load (conversion)", f"{first['load']:6.1f} s"),
                    (
                        f"{spec}: cached load",
                        f"{cached['load']:6.1f} s  (target ≤ 5 s; "
                        f"{first['load'] / cached['load']:.0f}x faster than converting)",
                    ),
                    (
                        f"{spec}: + importing torch/transformers",
                        f"{cached['imports']:6.1f} s  "
                        f"(whole fresh process: {cached['imports'] + cached['load']:.1f} s)",
                    ),
                ]
            )


if __name__ == "__main__":
    main()
