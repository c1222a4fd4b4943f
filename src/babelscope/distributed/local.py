"""The local executor: a sweep's jobs one after another in this process."""

from __future__ import annotations

from collections.abc import Callable

from babelscope.distributed.jobs import Outcome, run_job
from babelscope.distributed.plan import Sweep


def run_local(sweep: Sweep, *, say: Callable[[str], None]) -> list[Outcome]:
    """Every job in file order, one after another, in this process."""
    outcomes = []
    for number, job in enumerate(sweep.jobs, 1):
        say(f"job {number}/{len(sweep.jobs)}: {' '.join(job.argv[:3])} → {job.folder}")
        outcome = run_job(job, sweep.commands)
        say(f"job {number}/{len(sweep.jobs)}: {outcome.status} ({outcome.seconds:.1f} s)")
        outcomes.append(outcome)
    return outcomes
