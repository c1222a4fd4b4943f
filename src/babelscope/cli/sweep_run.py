"""Running a sweep's jobs: skip finished ones, run each as its own command, combine a report.

A job is run by ``babelscope.cli.main.main(argv)`` in this process — the very code path of a
hand-typed command — so a sweep cannot drift from the commands it runs. Each job's folder
gets a hidden ``.sweep-job.json`` with its argv; a rerun skips a job whose manifest is
complete *and* whose recorded argv is the one the sweep file gives now (an edited table runs
again; its activation store still resumes).
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babelscope.cli.sweep_file import Job, Sweep

JOB_RECORD = ".sweep-job.json"


@dataclass
class Outcome:
    """What became of one job."""

    job: Job
    status: str  # "complete", "skipped" (already complete) or "failed"
    seconds: float = 0.0
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.job.kind,
            "model": self.job.model,
            "folder": str(self.job.folder),
            "status": self.status,
            "seconds": round(self.seconds, 2),
            "error": self.error,
            "argv": list(self.job.argv),
        }


def already_done(job: Job) -> bool:
    """Complete manifest, and made from the same argv as the sweep asks for now."""
    from babelscope.runs import is_complete

    try:
        recorded = json.loads((job.folder / JOB_RECORD).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return is_complete(job.folder) and recorded.get("argv") == list(job.argv)


def record_job(job: Job) -> None:
    from babelscope.atomic import atomic_write_text

    job.folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(job.folder / JOB_RECORD, json.dumps({"argv": list(job.argv)}, indent=1))


@contextlib.contextmanager
def _as_command(argv: Sequence[str]) -> Iterator[None]:
    """``sys.argv`` as if the job had been typed (run manifests record it), and the job's
    stdout sent to stderr (the sweep's own stdout is its summary)."""
    saved = sys.argv
    sys.argv = ["babelscope", *argv]
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.argv = saved


def run_command(argv: Sequence[str]) -> tuple[int, str | None]:
    """Run ``babelscope argv`` in this process: ``(exit code, error line or None)``."""
    from babelscope.cli.main import main

    errors = _Tee(sys.stderr)
    with _as_command(argv), contextlib.redirect_stderr(errors):  # type: ignore[type-var]
        code = main(list(argv))
    return code, (errors.last_error() if code else None)


class _Tee:
    """Passes text through to ``stream`` and remembers the last ``error:`` line."""

    def __init__(self, stream: Any) -> None:
        self.stream, self.error = stream, ""

    def write(self, text: str) -> int:
        if "error:" in text:
            self.error = text.strip().splitlines()[-1]
        self.stream.write(text)  # Ray's worker streams return None, not a count
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, encoding, … (progress bars ask)
        return getattr(self.stream, name)

    def last_error(self) -> str:
        return self.error or "the command failed"


def run_job(job: Job) -> Outcome:
    """Run one job unless it is already done (never raises for a job's own failure)."""
    if already_done(job):
        return Outcome(job, "skipped")
    record_job(job)
    started = time.perf_counter()
    code, error = run_command(job.argv)
    seconds = time.perf_counter() - started
    return Outcome(job, "complete" if code == 0 else "failed", seconds, error)


def run_local(sweep: Sweep, *, say: Callable[[str], None]) -> list[Outcome]:
    """The local executor: every job in file order, one after another, in this process."""
    outcomes = []
    for number, job in enumerate(sweep.jobs, 1):
        say(f"job {number}/{len(sweep.jobs)}: {' '.join(job.argv[:3])} → {job.folder}")
        outcome = run_job(job)
        say(f"job {number}/{len(sweep.jobs)}: {outcome.status} ({outcome.seconds:.1f} s)")
        outcomes.append(outcome)
    return outcomes


def combine(sweep: Sweep, outcomes: Sequence[Outcome]) -> Path | None:
    """One report over every finished run the combined report can read (rankings of several
    models are compared in it); None when there is none."""
    from babelscope.report.combined import KINDS, combined_report
    from babelscope.runs import read_manifest

    folders = []
    for outcome in outcomes:
        if outcome.status == "failed":
            continue
        if read_manifest(outcome.job.folder).get("kind") in KINDS:
            folders.append(outcome.job.folder)
    if not folders:
        return None
    report = combined_report(folders, title=sweep.title)
    return Path(report.write(sweep.out / "report.html"))


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
