"""Save a :class:`LatentResult` into a run folder and load it back (symmetric).

Per-prompt masses go to ``latent_per_prompt.parquet`` (one row per prompt × layer × series,
the ``shared`` and ``other`` buckets included); what is not a table — measured languages,
layers, strict correctness, shot counts — to ``latent_runs.json``. Folders written before the
shared bucket existed load with ``shared`` = 0 and ``other`` = 1 − the measured masses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from babelscope.analyses.latent.result import KEYS, OTHER, SHARED, LatentResult, PairRun
from babelscope.errors import DataError

if TYPE_CHECKING:
    from babelscope.runs import RunFolder


def save_result(result: LatentResult, run: RunFolder) -> None:
    run.write_table("latent", result.to_frame())
    run.write_table("entropy", result.entropy_frame())
    run.write_table("latent_summary", result.summary_frame())
    run.write_table("latent_roles", result.role_frame())
    run.write_table("latent_per_prompt", result.per_prompt_frame())
    prompts = result.prompts_frame()
    prompts["answers"] = prompts["answers"].map(lambda a: json.dumps(a, ensure_ascii=False))
    run.write_table("prompts", prompts)
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
        for r in result.runs
    ]
    run.write_json(
        "latent_runs.json", {"runs": meta, "models": result.models, "settings": result.settings}
    )


def load_result(folder: Path) -> LatentResult:
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
    return LatentResult(runs=runs, models=meta.get("models", {}), settings=meta.get("settings", {}))
