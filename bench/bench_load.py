"""Load time of each bundled model: first load (GGUF conversion into a fresh cache) and cached
load, each in a fresh Python process (so imports count, as they do for a user). Baseline: the
plain transformers GGUF load every user would otherwise pay on every start.

Run: ``.venv/bin/python bench/bench_load.py [--model gemma-3-270m ...]``. Target: cached ≤ 5 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

from _common import machine, show

LOAD = "from babelscope import load_model; load_model({spec!r}, progress=False)"


def timed_process(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", action="append", default=None)
    args = parser.parse_args()
    models = args.model or ["smollm2-135m", "gemma-3-270m"]
    print(f"load bench: fresh process per load; {machine()}")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "BABELSCOPE_CACHE": cache}
        for spec in models:
            first = timed_process(LOAD.format(spec=spec), env)
            cached = min(timed_process(LOAD.format(spec=spec), env) for _ in range(3))
            show(
                [
                    (f"{spec}: first load (conversion)", f"{first:6.1f} s"),
                    (
                        f"{spec}: cached load",
                        f"{cached:6.1f} s  (target ≤ 5 s; "
                        f"{first / cached:.0f}x faster than converting)",
                    ),
                ]
            )
            assert cached <= 5.0 or os.environ.get("BENCH_NO_ASSERT"), "cached load over 5 s"


if __name__ == "__main__":
    main()
