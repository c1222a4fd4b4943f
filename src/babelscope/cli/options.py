"""Argument groups shared by several commands."""

from __future__ import annotations

import argparse


def add_model_options(parser: argparse.ArgumentParser, *, multiple: bool = False) -> None:
    help_text = "bundled alias (gemma-3-270m, smollm2-135m), hub id org/name[@rev], folder or .gguf"
    if multiple:
        parser.add_argument(
            "--model", action="append", required=False, metavar="M", help=help_text + "; repeat"
        )
    else:
        parser.add_argument("--model", required=True, metavar="M", help=help_text)
    parser.add_argument("--dtype", default="float32", help="float32 (default), bfloat16, float16")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N, mps, auto")
    parser.add_argument(
        "--trust-remote-code",
        action="store_true",
        help="allow custom model code from the hub (off by default; read it first)",
    )


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


def load_from_args(args: argparse.Namespace, spec: str) -> object:
    from babelscope.models.loader import load_model

    return load_model(
        spec, dtype=args.dtype, device=args.device, trust_remote_code=args.trust_remote_code
    )
