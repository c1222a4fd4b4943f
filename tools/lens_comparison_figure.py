"""Draw the README's logit-lens vs tuned-lens figure from two finished latent runs.

    .venv/bin/python tools/lens_comparison_figure.py RUN_LOGIT RUN_TUNED OUT.png

Both runs must be latent (or demo) run folders over the same pairs and models, the first read
through the logit lens, the second through ``--lens tuned:DIR``. One panel per (model, lens):
the target, English and copy role curves with their 95% intervals from ``latent_roles.parquet``
(subset ``all``), so the two lenses compare on the same y axis.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from babelscope.plotting.curves import plot_layer_curves
from babelscope.plotting.export import save_figure

ROLES = ("target", "English", "copy")


def _roles(run: Path, lens: str) -> pd.DataFrame:
    frame = pd.read_parquet(run / "latent_roles.parquet")
    frame = frame[(frame["subset"] == "all") & frame["role"].isin(ROLES)].copy()
    frame["panel"] = frame["model"] + " · " + lens
    return frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logit_run", type=Path)
    parser.add_argument("tuned_run", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    frame = pd.concat([_roles(args.logit_run, "logit lens"), _roles(args.tuned_run, "tuned lens")])
    models = sorted(frame["model"].unique())
    order = [f"{m} · {lens}" for m in models for lens in ("logit lens", "tuned lens")]
    figure = plot_layer_curves(
        frame,
        hue="role",
        facet="panel",
        hue_order=list(ROLES),
        facet_order=order,
        ncols=2,
        ylabel="probability mass",
        title="Latent-language roles per layer: logit lens vs tuned lens",
    )
    save_figure(figure, args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
