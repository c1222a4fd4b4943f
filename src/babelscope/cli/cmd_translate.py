"""``babelscope translate``: FLORES-200 translation X→English and English→X per language, with
supervised, LDP and zero-shot prompts, scored by corpus chrF++/chrF beside the copy baseline,
copy, off-target, empty and cap rates.

Writes a run folder: ``shards/`` (one Parquet file per finished language × direction ×
prompting: a rerun with the same ``--out`` skips them), ``translate_scores.parquet``,
``translate_generations.parquet``, ``translate.json``, ``plots/`` and ``manifest.json`` last.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from babelscope.cli.options import (
    COUNT,
    SEED,
    add_model_options,
    add_run_options,
    float_range,
    int_range,
    load_from_args,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "translate",
        help="FLORES translation X↔English: supervised, LDP and zero-shot prompts (chrF++)",
        description="Translate FLORES sentences X→English and English→X with k-shot prompts "
        "(supervised: real X↔English pairs; ldp: X→English exemplars in a script-diverse set "
        "of high-resource languages, English→X from back-translated X sentences; zero: the "
        "template alone). Greedy, first line only, a token cap of "
        "ceil(cap-factor × reference tokens) + cap-extra. Exemplars never come from the "
        "scored sentences. Corpus chrF++ and chrF with 95%% sentence-bootstrap intervals, "
        "the copy baseline, copy/off-target/empty/cap rates. Resumable: re-run with the "
        "same --out.",
    )
    add_model_options(parser)
    parser.add_argument("--data", required=True, help="flores200:PATH (folder or tarball)")
    parser.add_argument("--split", default="dev", help="scored FLORES split (default dev)")
    parser.add_argument(
        "--exemplar-split",
        default=None,
        help="split the exemplars come from (default: another split when there is one, else "
        "the scored split's other sentences)",
    )
    parser.add_argument("--languages", default="all", help="all (default) or fra_Latn,hin_Deva,…")
    parser.add_argument(
        "--direction", default="xx-en,en-xx", help="xx-en, en-xx or both (default xx-en,en-xx)"
    )
    parser.add_argument(
        "--prompting",
        default="supervised,ldp",
        help="supervised, ldp, zero; comma-separated (default supervised,ldp)",
    )
    parser.add_argument("--shots", type=COUNT, default=4, help="exemplars per prompt (4)")
    parser.add_argument(
        "--sentences", type=COUNT, default=20, metavar="N", help="scored sentences per cell (20)"
    )
    parser.add_argument(
        "--ldp-languages",
        default=",".join(_ldp_default()),
        help="LDP exemplar languages (default arb_Arab,zho_Hans,vie_Latn,fra_Latn, the paper's)",
    )
    parser.add_argument(
        "--cap-factor",
        type=float_range(0.0, 100.0, open_lo=True),
        default=1.5,
        help="token cap × reference tokens (1.5)",
    )
    parser.add_argument("--cap-extra", type=int_range(0), default=8, help="token cap + this (8)")
    parser.add_argument("--batch-size", type=COUNT, default=8, help="prompts per batch (8)")
    parser.add_argument("--bootstrap", type=COUNT, default=1000, help="bootstrap replicates (1000)")
    parser.add_argument("--seed", type=SEED, default=0, help="exemplar draw and bootstrap seed (0)")
    add_run_options(parser, default="babelscope-runs/translate-<model>")
    parser.add_argument("--no-report", action="store_true", help="skip plots")
    parser.add_argument("--no-progress", action="store_true", help="no progress lines")
    parser.set_defaults(handler=run)


def _ldp_default() -> tuple[str, ...]:
    return ("arb_Arab", "zho_Hans", "vie_Latn", "fra_Latn")  # = settings.LDP_LANGUAGES


def run(args: argparse.Namespace) -> int:
    start = time.time()
    from babelscope.analyses.translate.settings import TranslateSettings, parse_list
    from babelscope.data.flores import FloresDataset
    from babelscope.data.spec import parse_data_spec
    from babelscope.errors import DataError

    settings = TranslateSettings(
        split=args.split,
        exemplar_split=args.exemplar_split,
        directions=parse_list(args.direction),
        promptings=parse_list(args.prompting),
        shots=args.shots,
        sentences=args.sentences,
        ldp_languages=parse_list(args.ldp_languages),
        seed=args.seed,
        batch_size=args.batch_size,
        bootstrap=args.bootstrap,
        cap_factor=args.cap_factor,
        cap_extra=args.cap_extra,
    )
    dataset = parse_data_spec(args.data)
    if not isinstance(dataset, FloresDataset):
        raise DataError(f"--data {args.data} is not FLORES", fix="pass flores200:PATH")
    from babelscope.analyses.translate.pipeline import prepare, run_translate

    languages = "all" if args.languages.strip() == "all" else list(parse_list(args.languages))
    inputs = prepare(dataset, languages, settings)  # every bad input fails here, before loading
    for name in ("babelscope.analyses.translate.scoring", "babelscope.languages.identify"):
        importlib.import_module(name)  # an edited install cannot break the end of the run
    if not args.no_report:
        importlib.import_module("babelscope.analyses.translate.plots")
        importlib.import_module("matplotlib.backends.backend_agg")
    from babelscope.cli.options import claim_out, model_label
    from babelscope.data._common import hash_texts
    from babelscope.models.handle import ModelHandle
    from babelscope.runs import RunFolder, default_run_dir

    plan = inputs.plan
    data = {
        "spec": args.data,
        "split": plan.split,
        "exemplar_split": plan.exemplar_split,
        "sha256": hash_texts(
            {
                code: dataset.sentences(code, plan.split)[: len(plan.scored)]
                for code in ("eng_Latn", *inputs.languages)
            }
        ),
    }
    where = args.out or default_run_dir("translate", model_label(args.model))
    out = RunFolder(claim_out(args, where, "translate", resumable=True), kind="translate")
    handle = load_from_args(args, args.model)
    assert isinstance(handle, ModelHandle)
    total = len(inputs.languages) * len(settings.directions) * len(settings.promptings)
    done: list[str] = []

    def progress(name: str) -> None:
        done.append(name)
        if not args.no_progress:
            print(f"babelscope: {name} done ({time.time() - start:.0f} s)", file=sys.stderr)

    result = run_translate(handle, dataset, inputs, out.path, data=data, on_cell=progress)
    result.save(out)
    if not args.no_report:
        import io

        for direction in inputs.settings.directions:
            buffer = io.BytesIO()
            result.plot(direction).savefig(buffer, format="png", dpi=110)
            out.write_bytes(f"plots/translate_{direction}.png", buffer.getvalue())
    seconds = time.time() - start
    out.finish(
        {
            **result.manifest(),
            "argv": sys.argv[1:],
            "timings": {"seconds": round(seconds, 1), "cells": total, "computed_shards": len(done)},
        }
    )
    from babelscope.cli.options import finished, wrote

    wrote(out.path / "manifest.json", seconds)
    finished(args, out.path, _summary_lines(result))
    return 0


def _summary_lines(result: object) -> list[str]:
    from babelscope.analyses.translate.result import TranslateResult

    assert isinstance(result, TranslateResult)
    lines = []
    for row in result.scores.to_dict("records"):
        lines.append(
            f"{row['language']} {row['direction']} {row['prompting']}: chrF++ "
            f"{row['chrf_pp']:.1f} [{row['chrf_pp_lo']:.1f}, {row['chrf_pp_hi']:.1f}], "
            f"copy baseline {row['copy_baseline']:.1f}, clean {row['clean_chrf_pp']:.1f}, "
            f"copy {row['copy_rate']:.2f}, off-target {row['off_target_rate']:.2f}, "
            f"empty {row['empty_rate']:.2f}, cap {row['cap_rate']:.2f}"
        )
    return lines
