"""``babelscope report``: one HTML report from finished run folders (latent, demo, rank).

Reads each folder's ``manifest.json`` and saved tables; computes nothing again. Folders that
are missing, unfinished or of an unknown kind are refused before anything is written.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from babelscope.runs import RUNS_ROOT

DEFAULT_OUT = str(RUNS_ROOT / "report.html")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "report",
        help="one HTML report from finished run folders (latent, demo, rank, patch, sib, steer)",
        description="Combine finished run folders of `babelscope latent`, `demo`, `rank`, "
        "`patch`, `sib` and `steer` into one self-contained HTML report; two or more rankings "
        "are also compared.",
    )
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run folders (their --out)")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"HTML file to write ({DEFAULT_OUT})")
    parser.add_argument("--title", default=None, help="report title (default: from the runs)")
    parser.add_argument(
        "--json", action="store_true", help="print the report path, runs and sections as JSON"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from babelscope.errors import ConfigError

    out = Path(args.out).expanduser()
    if out.is_dir():
        raise ConfigError(f"--out {out} is a folder", fix=f"name a file, e.g. {out / DEFAULT_OUT}")
    if out.parent.exists() and not out.parent.is_dir():
        raise ConfigError(f"--out {out}: {out.parent} is not a folder", fix="pick another --out")
    from babelscope.cli.options import wrote
    from babelscope.report.combined import combined_report

    report = combined_report(args.runs, title=args.title)
    path = report.write(out)
    wrote(path)
    if args.json:
        sections = [{"id": s.id, "title": s.title} for s in report.sections]
        runs = [str(Path(r).expanduser().resolve()) for r in args.runs]
        print(json.dumps({"report": str(path), "runs": runs, "sections": sections}, indent=1))
        return 0
    for section in report.sections:
        print(f"  #{section.id}  {section.title}")
    return 0
