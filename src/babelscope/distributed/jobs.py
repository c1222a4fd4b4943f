"""One job of a sweep, run in this process: skipped when done, recorded, rerun explicitly.

A job is run by the command line's own ``run(argv)`` (``babelscope.cli.main.main``, handed in
as :class:`~babelscope.distributed.command_line.CommandLine`) — the very code path of a
hand-typed command — so a sweep cannot drift from the commands it runs. Each job's folder gets
a hidden ``.sweep-job.json`` with its argv; a rerun skips a job whose manifest is complete
*and* whose recorded argv is the one the sweep file gives now (an edited table runs again; its
activation store still resumes). Both executors run jobs through here.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from babelscope.distributed.command_line import CommandLine, takes_option
from babelscope.distributed.plan import Job

JOB_RECORD = ".sweep-job.json"
#: What a job's command is given to replace the run an earlier attempt left in its folder.
OVERWRITE = "--overwrite"


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

    recorded = _recorded(job)
    return recorded is not None and is_complete(job.folder) and recorded == list(job.argv)


def _recorded(job: Job) -> list[str] | None:
    """The argv an earlier attempt of this job recorded, or None (never attempted)."""
    try:
        argv = json.loads((job.folder / JOB_RECORD).read_text("utf-8")).get("argv")
    except (OSError, ValueError, AttributeError):
        return None
    return list(argv) if isinstance(argv, list) else None


def start_job(job: Job, commands: CommandLine) -> tuple[str, ...]:
    """Record ``job`` in its folder before it runs, and return the argv to run.

    A job that is not done but was attempted before (its recorded argv changed, or its run is
    incomplete) leaves a run of its own in the folder, which a command refuses to replace
    silently: the argv then ends with ``--overwrite``, where the command takes it (asked of
    its parser). A first attempt, or a command without the flag, runs ``job.argv`` as it is.
    Call it only for a job that is not :func:`already_done`."""
    from babelscope.atomic import atomic_write_text

    rerun = _recorded(job) is not None
    argv = job.argv
    if rerun and takes_option(commands.parsers()[job.argv[0]], OVERWRITE):
        argv = (*argv, OVERWRITE)
    job.folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(job.folder / JOB_RECORD, json.dumps({"argv": list(job.argv)}, indent=1))
    return argv


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


def run_command(run: Callable[[Sequence[str]], int], argv: Sequence[str]) -> tuple[int, str | None]:
    """``run(argv)`` (``babelscope argv``) in this process: ``(exit code, error line or None)``."""
    errors = _Tee(sys.stderr)
    with _as_command(argv), contextlib.redirect_stderr(errors):  # type: ignore[type-var]
        code = run(list(argv))
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


def run_job(job: Job, commands: CommandLine) -> Outcome:
    """Run one job unless it is already done (never raises for a job's own failure)."""
    if already_done(job):
        return Outcome(job, "skipped")
    argv = start_job(job, commands)
    started = time.perf_counter()
    code, error = run_command(commands.run, argv)
    seconds = time.perf_counter() - started
    return Outcome(job, "complete" if code == 0 else "failed", seconds, error)
