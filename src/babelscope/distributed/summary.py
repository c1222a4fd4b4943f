"""``sweep.json``: what became of every job of a sweep, whichever executor ran it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from babelscope.distributed.jobs import Outcome
from babelscope.distributed.plan import Sweep


def write_summary(
    sweep: Sweep, outcomes: Sequence[Outcome], *, executor: str, seconds: float, report: Path | None
) -> dict[str, Any]:
    """``sweep.json`` in the sweep folder: every job's status, folder, time and argv."""
    from babelscope.atomic import atomic_write_text

    summary = {
        "sweep": str(sweep.path),
        "out": str(sweep.out.resolve()),
        "executor": executor,
        "seconds": round(seconds, 2),
        "report": str(report.resolve()) if report else None,
        "jobs": [outcome.to_json() for outcome in outcomes],
    }
    sweep.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(sweep.out / "sweep.json", json.dumps(summary, indent=1))
    return summary
