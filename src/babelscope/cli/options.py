"""Argument groups shared by several commands, the checked number types every numeric option
uses, and how a command that finishes a run reports it: ``babelscope: wrote …`` on stderr, then
either the human summary or (``--json``) one JSON object on stdout."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from babelscope.lens.tuned import TunedLens
    from babelscope.models.handle import ModelHandle


def add_model_options(
    parser: argparse.ArgumentParser, *, multiple: bool = False, required: bool = True
) -> None:
    help_text = "bundled alias (gemma-3-270m, smollm2-135m), hub id org/name[@rev], folder or .gguf"
    if multiple:
        parser.add_argument(
            "--model", action="append", required=False, metavar="M", help=help_text + "; repeat"
        )
    else:
        parser.add_argument("--model", required=required, metavar="M", help=help_text)
    add_runtime_options(parser)


def add_runtime_options(parser: argparse.ArgumentParser) -> None:
    """How models are loaded (every command that loads one takes these)."""
    parser.add_argument("--dtype", default="float32", help="float32 (default), bfloat16, float16")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N, mps, auto")
    parser.add_argument(
        "--trust-remote-code",
        action="store_true",
        help="allow custom model code from the hub (off by default; read it first)",
    )


def add_passed_on_runtime_options(parser: argparse.ArgumentParser) -> None:
    """The options of :func:`add_runtime_options` for a command that loads no model itself but
    passes them on to the commands it runs (``sweep``): the same flags without defaults of
    their own, so that leaving one out leaves each job's value (or its command's default)."""
    add_runtime_options(parser)
    parser.set_defaults(dtype=None, device=None)
    for action in parser._actions:
        if action.dest in {"dtype", "device", "trust_remote_code"}:
            flag = action.option_strings[0]
            action.help = f"every job's {flag} unless its table sets {flag[2:]} — {action.help}"


def check_runtime_options(args: argparse.Namespace) -> None:
    """Fail before any data is read or model loaded when ``--device``/``--dtype`` cannot be
    honoured: asking for cuda on a machine without it is an error (exit 2), never a quiet run
    on the CPU that takes a hundred times longer."""
    if getattr(args, "device", None) is None and getattr(args, "dtype", None) is None:
        return
    from babelscope.models.devices import parse_device, parse_dtype

    if getattr(args, "dtype", None) is not None:
        parse_dtype(str(args.dtype))
    if getattr(args, "device", None) is not None:
        parse_device(str(args.device))


def add_words_options(parser: argparse.ArgumentParser) -> None:
    """``--words`` (which word set the prompts use) and ``--lexicon`` (a file merged over it)."""
    parser.add_argument(
        "--words",
        default="nouns",
        metavar="SET",
        help="nouns (default: concrete nouns from CLDR emoji names), calendar (CLDR weekdays, "
        "months, units) or a TSV/CSV file with concept, language, word[, synonyms] used alone; "
        "cloze always uses weekdays and months",
    )
    parser.add_argument(
        "--lexicon", metavar="FILE", help="TSV/CSV merged over --words (its words win)"
    )


def add_run_options(parser: argparse.ArgumentParser, *, default: str) -> None:
    """``--out`` (default under ``babelscope-runs/``), ``--overwrite`` and ``--json``, for
    commands that finish a run folder (:func:`claim_out` applies the folder rule)."""
    parser.add_argument(
        "--out", default=None, metavar="DIR", help=f"run folder (default {default})"
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a complete run already in the folder (refused without it; an unfinished "
        "run of a resumable command resumes)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print a machine-readable summary of the finished run (folder, kind, key numbers) "
        "on stdout",
    )


def claim_out(args: argparse.Namespace, out: str | Path, kind: str, *, resumable: bool) -> Path:
    """The run folder ``out`` made ready for this command, before any model loads: see
    :func:`babelscope.runs.prepare_run_folder` (``--overwrite`` from ``args``)."""
    from babelscope.runs import prepare_run_folder

    return prepare_run_folder(
        out, kind, resumable=resumable, overwrite=bool(getattr(args, "overwrite", False))
    )


def model_label(spec: str) -> str:
    """The last part of a model spec (``org/name@rev`` → ``name@rev``), for default folders
    (:func:`babelscope.runs.model_label`, where a sweep's job folders get theirs too)."""
    from babelscope.runs import model_label as label

    return label(spec)


def wrote(path: str | Path, seconds: float | None = None) -> None:
    took = f" in {seconds:.0f} s" if seconds is not None else ""
    print(f"babelscope: wrote {path}{took}", file=sys.stderr)


def finished(args: argparse.Namespace, folder: str | Path, lines: Iterable[str]) -> None:
    """After a run folder is complete: its summary as JSON (``--json``) or ``lines``, on stdout."""
    if getattr(args, "json", False):
        from babelscope.runs import run_summary

        print(json.dumps(run_summary(folder), indent=1, ensure_ascii=False, default=str))
        return
    for line in lines:
        print(line)


def load_from_args(args: argparse.Namespace, spec: str) -> object:
    from babelscope.models.loader import load_model

    return load_model(
        spec, dtype=args.dtype, device=args.device, trust_remote_code=args.trust_remote_code
    )


def add_lens_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lens",
        default="logit",
        metavar="LENS",
        help="logit (default) or tuned:DIR (a folder from `babelscope lens train`)",
    )


def lens_from_args(args: argparse.Namespace, handle: object) -> TunedLens | None:
    """The lens ``--lens`` names, loaded for ``handle`` (``None`` for the logit lens)."""
    folder = lens_folder(str(args.lens))
    if folder is None:
        return None
    from babelscope.lens.tuned import TunedLens
    from babelscope.models.handle import ModelHandle

    assert isinstance(handle, ModelHandle)
    return TunedLens.load(folder, handle)


def lens_folder(spec: str) -> Path | None:
    """The folder a ``--lens`` value names: ``None`` for ``logit``, the path of ``tuned:DIR``
    (a ConfigError for anything else)."""
    from babelscope.errors import ConfigError

    text = spec.strip()
    if text == "logit":
        return None
    kind, sep, where = text.partition(":")
    if kind != "tuned" or not sep or not where.strip():
        raise ConfigError(f"cannot read --lens {spec!r}", fix="use --lens logit or tuned:DIR")
    return Path(where.strip()).expanduser()


def add_lenses_option(parser: argparse.ArgumentParser) -> None:
    """``--lens`` for commands that run several models: one ``tuned:DIR`` per model."""
    parser.add_argument(
        "--lens",
        action="append",
        default=[],
        metavar="LENS",
        help="logit (default) or tuned:DIR; repeat tuned:DIR once per model (each lens is used "
        "for the model it was trained for)",
    )


def lens_picker(specs: list[str]) -> Callable[[ModelHandle], TunedLens | None] | None:
    """A function giving each model its tuned lens from ``--lens`` values (None: logit lens).

    Every folder is checked before any model loads; a model with no matching lens is an
    error when tuned lenses were asked for (a silent logit-lens fallback would mislabel it)."""
    from babelscope.errors import ConfigError
    from babelscope.lens.tuned import TunedLens, read_manifest

    folders = [folder for spec in specs if (folder := lens_folder(spec)) is not None]
    if not folders:
        return None
    hashes = {folder: read_manifest(folder).get("model_hash") for folder in folders}

    def pick(handle: ModelHandle) -> TunedLens:
        for folder, model_hash in hashes.items():
            if model_hash == handle.model_hash:
                lens = TunedLens.load(folder, handle)
                lens.provenance["path"] = str(folder)
                return lens
        raise ConfigError(
            f"no --lens tuned:DIR was trained for {handle.name}",
            fix=f"train one (babelscope lens train --model {handle.name} --data flores200:PATH) "
            "or drop --lens for the logit lens",
        )

    return pick


# ---- checked numbers -------------------------------------------------------------------------
# Every numeric option's ``type=``: argparse then rejects nan, inf and out-of-range values at
# parse time, in one line, before anything runs (a NaN α once ran a whole steering sweep and
# wrote a complete-looking folder). ``numeric`` marks them for the test that finds every
# numeric option by introspection.


def _bounds(lo: float | None, hi: float | None, *, open_lo: bool = False) -> str:
    low = "" if lo is None else (f"> {lo:g}" if open_lo else f"≥ {lo:g}")
    high = "" if hi is None else f"≤ {hi:g}"
    return " and ".join(part for part in (low, high) if part) or "finite"


def _int_in(text: str, lo: int | None, hi: int | None) -> int:
    value = int(str(text).strip())  # a ValueError: argparse's "invalid int value: 'x'"
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise argparse.ArgumentTypeError(f"must be {_bounds(lo, hi)}, got {value}")
    return value


def _float_in(text: str, lo: float | None, hi: float | None, open_lo: bool) -> float:
    value = float(str(text).strip())  # a ValueError: argparse's "invalid float value: 'x'"
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    if (lo is not None and (value <= lo if open_lo else value < lo)) or (
        hi is not None and value > hi
    ):
        raise argparse.ArgumentTypeError(f"must be {_bounds(lo, hi, open_lo=open_lo)}, got {text}")
    return value


def _numeric(func: Any, name: str, description: str) -> Any:
    func.__name__ = name  # argparse names the type in its own messages
    func.numeric = True
    func.description = description
    return func


def int_range(lo: int | None = 1, hi: int | None = None) -> Any:
    """An integer type with ``lo ≤ value ≤ hi`` (counts: the default ``lo=1``)."""
    return _numeric(lambda text: _int_in(text, lo, hi), "int", f"integer {_bounds(lo, hi)}")


def float_range(lo: float | None, hi: float | None = None, *, open_lo: bool = False) -> Any:
    """A finite float type with ``lo ≤ value ≤ hi`` (``lo < value`` with ``open_lo``)."""
    return _numeric(
        lambda text: _float_in(text, lo, hi, open_lo),
        "float",
        f"finite number {_bounds(lo, hi, open_lo=open_lo)}",
    )


def float_list(lo: float | None, hi: float | None = None) -> Any:
    """Comma-separated finite floats, each in ``[lo, hi]``: a tuple (one or more)."""

    def parse(text: str) -> tuple[float, ...]:
        parts = [part for part in str(text).split(",") if part.strip()]
        if not parts:
            raise argparse.ArgumentTypeError("is empty (use numbers, e.g. 1,2,4)")
        return tuple(_float_in(part, lo, hi, False) for part in parts)

    return _numeric(parse, "float list", f"finite numbers {_bounds(lo, hi)}, comma-separated")


def int_list(lo: int | None = 0, hi: int | None = None) -> Any:
    """Comma-separated integers, each in ``[lo, hi]``: a tuple (one or more)."""

    def parse(text: str) -> tuple[int, ...]:
        parts = [part for part in str(text).split(",") if part.strip()]
        if not parts:
            raise argparse.ArgumentTypeError("is empty (use integers, e.g. 16,17)")
        return tuple(_int_in(part, lo, hi) for part in parts)

    return _numeric(parse, "int list", f"integers {_bounds(lo, hi)}, comma-separated")


def auto_or_int(lo: int = 1) -> Any:
    """``auto`` (kept as the string) or an integer ≥ ``lo``."""

    def parse(text: str) -> int | str:
        if str(text).strip().lower() == "auto":
            return "auto"
        return _int_in(text, lo, None)

    return _numeric(parse, "auto or int", f"auto or an integer ≥ {lo}")


#: Seeds: numpy's generators take 0 ≤ seed < 2³².
SEED = int_range(0, 2**32 - 1)
#: Counts of things (prompts, sentences, tokens, batch sizes): ≥ 1.
COUNT = int_range(1)
#: Layer indices given as one number: ≥ 0 here; the model's depth is checked once it loads.
LAYER = int_range(0)
#: Steering strength α: 0 is no steering (the identity); α = 1 is one whole mean difference
#: (DiffMean, G-ACT) or the target's own activation (LAPE); the default grids stop at 2, so 100
#: is far past any useful value and bounds what would otherwise overflow the states.
ALPHA_MAX = 100.0
