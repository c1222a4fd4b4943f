"""Write the tables and runs of a latent-language result into a run folder and read the runs
back (symmetric; :class:`~babelscope.analyses.latent.result.LatentResult`'s ``save``/``load``
call these, so this module knows runs, not the result class).

Per-prompt masses go to ``latent_per_prompt.parquet`` (one row per prompt × layer × series,
the ``shared`` and ``other`` buckets included); what is not a table — measured languages,
layers, strict correctness, shot counts — to ``latent_runs.json``. Folders written before the
shared bucket existed load with ``shared`` = 0 and ``other`` = 1 − the measured masses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from babelscope.analyses.latent.pair_run import KEYS, OTHER, SHARED, PairRun
from babelscope.errors import DataError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from babelscope.runs import RunFolder


def write_tables(
    run: RunFolder,
    tables: Mapping[str, pd.DataFrame],
    runs: Sequence[PairRun],
    *,
    models: dict[str, Any],
    settings: dict[str, Any],
) -> None:
    """Each of ``tables`` as ``<name>.parquet`` (in order; the ``prompts`` table's answer lists
    stored as JSON text), then ``latent_runs.json`` with what of ``runs`` is not a table."""
    for name, frame in tables.items():
        if name == "prompts":
            answers = frame["answers"].map(lambda a: json.dumps(a, ensure_ascii=False))
            frame = frame.assign(answers=answers)
        run.write_table(name, frame)
    meta = [
        {
            "model": r.model,
            "task": r.task,
            "source": r.source,
            "target": r.target,
            "languages": r.languages,
            "layers": r.layers,
            "n_layers": r.n_layers,
            "vocab_size": r.vocab_size,
            "prompt_ids": r.prompt_ids,
            "correct": r.correct.astype(bool).tolist(),
            "counts": r.counts,
        }
        for r in runs
    ]
    run.write_json("latent_runs.json", {"runs": meta, "models": models, "settings": settings})


def read_runs(folder: Path) -> tuple[list[PairRun], dict[str, Any], dict[str, Any]]:
    """The runs, model provenance and settings :func:`write_tables` wrote into ``folder``."""
    try:
        meta = json.loads((folder / "latent_runs.json").read_text())
        per_prompt = pd.read_parquet(folder / "latent_per_prompt.parquet")
        prompts = pd.read_parquet(folder / "prompts.parquet")
    except (OSError, ValueError) as exc:
        raise DataError(
            f"{folder} holds no latent-language results ({exc})",
            fix="point at the --out folder of babelscope latent/demo",
        ) from exc
    prompts["answers"] = prompts["answers"].map(json.loads)
    runs = []
    for m in meta["runs"]:
        key = np.logical_and.reduce([per_prompt[k] == m[k] for k in KEYS])
        pkey = np.logical_and.reduce([prompts[k] == m[k] for k in KEYS])
        series = [*m["languages"], SHARED, OTHER]
        n, n_l = len(m["prompt_ids"]), len(m["layers"])
        values = np.zeros((n, n_l, len(series)), dtype=np.float32)
        ent = np.zeros((n, n_l), dtype=np.float32)
        sub = per_prompt[key]
        # int64 explicitly: a pair with no kept prompts (e.g. a script the tokenizer cannot
        # measure) has no rows, and an empty mapped column is not an integer array.
        ii = sub.prompt_id.map({p: i for i, p in enumerate(m["prompt_ids"])}).to_numpy(np.int64)
        jj = sub.layer.map({v: i for i, v in enumerate(m["layers"])}).to_numpy(np.int64)
        kk = sub.language.map({v: i for i, v in enumerate(series)}).to_numpy(np.int64)
        values[ii, jj, kk] = sub.prob.to_numpy()
        ent[ii, jj] = sub.entropy_bits.to_numpy()
        measured = values[:, :, : len(m["languages"])]
        has_buckets = bool(sub.language.isin([SHARED, OTHER]).any())
        runs.append(
            PairRun(
                model=m["model"],
                task=m["task"],
                source=m["source"],
                target=m["target"],
                languages=m["languages"],
                layers=m["layers"],
                n_layers=m["n_layers"],
                vocab_size=m["vocab_size"],
                mass=measured,
                entropy_bits=ent,
                correct=np.asarray(m["correct"], dtype=bool),
                prompt_ids=m["prompt_ids"],
                prompts=prompts[pkey].drop(columns=["model"]).reset_index(drop=True),
                shared=values[:, :, -2] if has_buckets else None,
                other=values[:, :, -1] if has_buckets else None,
                counts=m.get("counts", {}),
            )
        )
    return runs, meta.get("models", {}), meta.get("settings", {})
