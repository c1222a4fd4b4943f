"""Time one target language's steering sweep on one model (CPU), and the cost per setting.

The target of issue #10 is ≤ 10 min per language per model on this machine. The sweep's cost
is (settings × prompts) generations plus one scoring forward each, so the script times a small
grid, prints the cost of one setting (a "cell": one layer × α of one method on the choose
prompts) against the unsteered baseline cell of the same run (the hooks' overhead), and
projects the CLI's default grid from it.

Run: ``.venv/bin/python bench/bench_steer.py [--model smollm2-135m] [--target fra_Latn]
[--prompts 10] [--layers auto] [--alpha 1,4] [--methods diffmean,lape,gact]``. When the real
steering methods are not importable (``babelscope.analyses.steering.registry``), a stand-in
random vector per layer of the residual's typical norm is used: the generation and scoring
cost, which dominates, is the same.
"""

from __future__ import annotations

import argparse
import importlib
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import torch

from _common import FLORES, machine, show

DEFAULT_PROMPTS = 12  # the CLI's --prompts


class _StandIn:
    """A random direction per layer scaled to the residual's norm there (cost stand-in)."""

    def __init__(self, method: str, target: str, layers: tuple[int, ...], width: int) -> None:
        self.method, self.target, self.layers = method, target, layers
        gen = torch.Generator().manual_seed(0)
        self.vectors = {layer: torch.randn(width, generator=gen) for layer in layers}

    def default_layer(self) -> int | None:
        return None if self.method == "lape" else self.layers[0]

    def editors(
        self, *, layer: int | None, alpha: float, positions: Any = "generated"
    ) -> list[Any]:
        from babelscope.capture.editors import AddVector

        chosen = self.layers if layer is None else (layer,)
        return [AddVector(k, self.vectors[k], alpha=alpha, positions=positions) for k in chosen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--target", default="fra_Latn")
    parser.add_argument("--prompts", type=int, default=10, help="prompts per half")
    parser.add_argument("--layers", default="auto")
    parser.add_argument("--alpha", default="1,4")
    parser.add_argument("--methods", default="diffmean,lape,gact")
    parser.add_argument("--fit-sentences", type=int, default=100)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    args = parser.parse_args()

    from babelscope.analyses.steering.api import default_layers
    from babelscope.analyses.steering.prompts import split_prompts
    from babelscope.analyses.steering.sweep import SweepSettings, grid, run_sweep
    from babelscope.capture.generate import GenerationSettings
    from babelscope.capture.sites import resolve_layers
    from babelscope.data.flores import FloresDataset
    from babelscope.models.loader import load_model

    start = time.perf_counter()
    handle = load_model(args.model)
    load_s = time.perf_counter() - start
    layers = (
        default_layers(handle.n_layers)
        if args.layers == "auto"
        else resolve_layers(args.layers, handle.n_layers)
    )
    dataset = FloresDataset.open(os.environ.get("BABELSCOPE_FLORES", str(FLORES)))
    english = dataset.sentences("eng_Latn", "dev")
    split = split_prompts(english, args.prompts)
    fit_ids = split.fit_ids(len(english))[: args.fit_sentences]
    texts = {
        c: [dataset.sentences(c, "dev")[i] for i in fit_ids] for c in ("eng_Latn", args.target)
    }
    methods = [m for m in args.methods.split(",") if m]
    steerers: dict[tuple[str, str], Any] = {}
    fit_s: dict[str, float] = {}
    try:
        api: Any = importlib.import_module("babelscope.analyses.steering.registry")
    except ImportError:
        api = None
    with tempfile.TemporaryDirectory() as tmp:
        for name in methods:
            begin = time.perf_counter()
            if api is None:
                steerer: Any = _StandIn(name, args.target, tuple(layers), handle.hidden_size)
            else:
                steerer = api.method_for(name).fit(
                    handle, texts, target=args.target, layers=layers, store_dir=Path(tmp) / "store"
                )
            fit_s[name] = time.perf_counter() - begin
            steerers[(steerer.method, args.target)] = steerer
        alphas = tuple(float(a) for a in args.alpha.split(","))
        settings = SweepSettings(
            alphas=alphas,
            generation=GenerationSettings(max_new_tokens=args.max_new_tokens),
            bootstrap=200,
        )
        cost: dict[str, list[float]] = defaultdict(list)
        cpu: dict[str, list[float]] = defaultdict(list)
        from babelscope.languages.identify import detect

        detect("warm up the language-ID models")  # lingua loads lazily: ~20 s, once per process
        last = [time.process_time()]

        def on_cell(cell: Any, seconds: float) -> None:
            key = cell.method if cell.split == "choose" else "report"
            cost[key].append(seconds)
            now = time.process_time()  # one thread: CPU time ≈ wall time on an idle machine
            cpu[key].append(now - last[0])
            last[0] = now

        begin = time.perf_counter()
        result = run_sweep(
            handle,
            dataset,
            steerers,
            split,
            targets=[args.target],
            settings=settings,
            cells_dir=Path(tmp) / "cells",
            on_cell=on_cell,
        )
        sweep_s = time.perf_counter() - begin
    steered = [s for m, v in cost.items() if m not in ("none", "prompting", "report") for s in v]
    per_cell = sum(steered) / max(len(steered), 1)
    steered_cpu = [s for m, v in cpu.items() if m not in ("none", "prompting", "report") for s in v]
    per_cell_cpu = sum(steered_cpu) / max(len(steered_cpu), 1)
    baseline = cost["none"][0] if cost["none"] else float("nan")
    default_grid = grid(args.target, list(steerers.values()), SweepSettings())
    n_default = len(default_grid) + 2 + len(methods)  # + report-half cells
    scale = DEFAULT_PROMPTS / args.prompts
    projected = (n_default * per_cell * scale + sum(fit_s.values())) / 60
    projected_cpu = n_default * per_cell_cpu * scale / 60
    rows = [
        ("machine", f"{machine()}, load average {os.getloadavg()[0]:.1f} at the end"),
        ("model / target", f"{args.model} → {args.target}, layers {layers}, α {list(alphas)}"),
        ("methods", f"{methods} ({'real' if api is not None else 'stand-in vectors'})"),
        ("load model", f"{load_s:.1f} s"),
        *((f"fit {m}", f"{s:.1f} s") for m, s in fit_s.items()),
        ("sweep wall time", f"{sweep_s:.1f} s ({sum(len(v) for v in cost.values())} cells, "
                            f"{args.prompts} prompts per half)"),
        ("unsteered cell (none)", f"{baseline:.2f} s"),
        ("steered cell, mean", f"{per_cell:.2f} s ({per_cell / baseline:.2f}x the unsteered)"),
        *((f"  {m} cells", f"{sum(v) / len(v):.2f} s × {len(v)}") for m, v in cost.items()),
        ("default grid (CLI)", f"{n_default} cells × {DEFAULT_PROMPTS} prompts per half"),
        ("steered cell, CPU time", f"{per_cell_cpu:.2f} s (unsteered {cpu['none'][0]:.2f} s)"),
        ("projected per language", f"{projected:.1f} min wall (fits included)"),
        ("  from CPU time", f"{projected_cpu:.1f} min + fits: the wall time on an idle core"),
    ]  # fmt: skip
    show(rows)
    print(result.report_table()[["method", "layer", "alpha", "lfs", "chrf", "fluency", "headline"]])


if __name__ == "__main__":
    main()
