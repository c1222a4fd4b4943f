"""``babelscope lens train`` and ``babelscope lens eval``: a multilingual tuned lens.

``train`` fits one affine translator per layer on FLORES sentences drawn round-robin from the
chosen languages (all by default), never on the held-out sentence ids, and is resumable: rerun
the same command with the same ``--out`` after a kill. ``eval`` scores the logit lens and the
tuned lens side by side on the held-out sentences (exact full-vocabulary KL).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from babelscope.cli.options import (
    COUNT,
    SEED,
    add_model_options,
    add_run_options,
    float_range,
    int_list,
    load_from_args,
)

#: Training positions by default: every lens measured so far was trained on 100k.
DEFAULT_TOKENS = 100_000


def register(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    train = actions.add_parser(
        "train",
        help="train a tuned lens on language-balanced FLORES text (resumable)",
        description="Train per-layer affine translators (Belrose et al. 2023) with the model "
        "frozen, on sentences drawn round-robin from --languages. Rerun with the same --out to "
        "continue after an interruption.",
    )
    _common(train, out="babelscope-runs/lens-<model>")
    train.add_argument(
        "--tokens", type=COUNT, default=DEFAULT_TOKENS, help="training positions in all"
    )
    train.add_argument(
        "--loss",
        choices=("coarse", "full"),
        default=None,
        help="coarse: top-k + sampled-rest KL (default on CPU); full: exact KL (default on GPU)",
    )
    train.add_argument("--batch-sentences", type=COUNT, default=16, help="sentences per step")
    train.add_argument(
        "--lr",
        type=float_range(0.0, 1.0, open_lo=True),
        default=1e-3,
        help="Adam learning rate, in (0, 1] (0.001)",
    )
    train.add_argument("--seed", type=SEED, default=0, help="seed of the text order and sampling")
    train.add_argument(
        "--checkpoint-every",
        type=COUNT,
        default=10,
        metavar="STEPS",
        help="write a resumable checkpoint every STEPS steps (10); a kill loses at most that",
    )
    train.add_argument(
        "--layers",
        type=int_list(0),
        default=None,
        metavar="L,L",
        help="train only these translators, e.g. 17 (default: all); with --init-from this "
        "refines them and keeps every other translator as it is",
    )
    train.add_argument(
        "--init-from",
        default=None,
        metavar="DIR",
        help="start from a finished `lens train` folder of the same model",
    )
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.set_defaults(handler=run_train)

    evaluate = actions.add_parser(
        "eval",
        help="compare the logit lens and a tuned lens on held-out sentences",
        description="KL(final ‖ lens) and top-1 agreement per layer and language.",
    )
    _common(evaluate, out="babelscope-runs/lens-eval-<model>")
    evaluate.add_argument("--lens", required=True, metavar="DIR", help="a `lens train` folder")
    evaluate.add_argument(
        "--positions", type=COUNT, default=24, help="scored positions per language (24)"
    )
    evaluate.add_argument(
        "--sentences", type=COUNT, default=8, help="held-out sentences run per language (8)"
    )
    evaluate.add_argument("--no-progress", action="store_true", help="no progress bar")
    evaluate.set_defaults(handler=run_eval)


def _common(parser: argparse.ArgumentParser, *, out: str) -> None:
    add_model_options(parser)
    parser.add_argument("--data", required=True, help="flores200:PATH (folder or tarball)")
    parser.add_argument("--split", default="dev", help="FLORES split (default dev)")
    parser.add_argument("--languages", default="all", help="all (default) or codes: fra_Latn,…")
    add_run_options(parser, default=out)


def _open_texts(args: argparse.Namespace) -> tuple[object, list[str], dict[str, list[str]]]:
    from babelscope.analyses.ranking.pipeline import resolve_run_languages
    from babelscope.data.flores import FloresDataset
    from babelscope.data.spec import parse_data_spec
    from babelscope.errors import DataError

    dataset = parse_data_spec(args.data)
    if not isinstance(dataset, FloresDataset):
        raise DataError(f"--data {args.data} is not FLORES", fix="pass flores200:PATH")
    languages = resolve_run_languages(dataset, args.languages, args.split)
    return dataset, languages, dataset.parallel(languages, args.split)


def run_train(args: argparse.Namespace) -> int:
    from babelscope.errors import ConfigError

    if args.init_from and not (Path(args.init_from).expanduser() / "manifest.json").is_file():
        raise ConfigError(
            f"--init-from {args.init_from} is not a finished lens folder",
            fix="pass the --out folder of a completed `babelscope lens train`",
        )
    dataset, languages, texts = _open_texts(args)
    from babelscope.cli.options import claim_out, model_label
    from babelscope.data.flores import FloresDataset
    from babelscope.lens.train import LensTrainSettings, LossKind, train_tuned_lens
    from babelscope.models.handle import ModelHandle
    from babelscope.runs import default_run_dir

    assert isinstance(dataset, FloresDataset)
    out = args.out or str(default_run_dir("lens", model_label(args.model)))
    if args.init_from and _same(args.init_from, out):
        raise ConfigError(
            f"--init-from {args.init_from} is the --out folder",
            fix="write the refined lens to another --out DIR",
        )
    claim_out(args, out, "tuned-lens", resumable=True)
    handle = load_from_args(args, args.model)
    assert isinstance(handle, ModelHandle)
    loss: LossKind = args.loss or ("full" if handle.device.type == "cuda" else "coarse")
    settings = LensTrainSettings(
        tokens=args.tokens, batch_sentences=args.batch_sentences, lr=args.lr, loss=loss,
        seed=args.seed, checkpoint_every=args.checkpoint_every, layers=args.layers,
        init_from=str(Path(args.init_from).expanduser().resolve()) if args.init_from else None,
    )  # fmt: skip
    provenance = {
        "data": args.data,
        "split": args.split,
        "data_hash": dataset.data_hash(languages, args.split),
        "argv": sys.argv[1:],
    }
    _lens, progress = train_tuned_lens(
        handle, texts, out, settings=settings, provenance=provenance,
        progress=not args.no_progress,
    )  # fmt: skip
    summary = {
        "kind": "tuned-lens",
        "out": str(out),
        "model": args.model,
        "languages": len(languages),
        "steps": progress.steps,
        "positions": progress.positions,
        "resumed_from_step": progress.resumed_from,
        "final_loss_bits": progress.losses_bits[-1] if progress.losses_bits else None,
        "seconds": round(progress.seconds, 1),
    }
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    print(
        f"wrote {out} ({progress.positions} positions, {progress.seconds:.0f} s)", file=sys.stderr
    )
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from babelscope.lens.tuned import read_manifest

    read_manifest(Path(args.lens).expanduser())  # a bad folder fails before data and model load
    _dataset, languages, texts = _open_texts(args)
    from babelscope.cli.options import claim_out, model_label
    from babelscope.lens.evaluate import evaluate_lens
    from babelscope.models.handle import ModelHandle
    from babelscope.runs import RunFolder, default_run_dir

    where = args.out or default_run_dir("lens-eval", model_label(args.model))
    if _same(args.lens, where):
        from babelscope.errors import ConfigError

        raise ConfigError(f"--out {where} is the --lens folder", fix="pass another --out DIR")
    where = claim_out(args, where, "lens-eval", resumable=False)
    handle = load_from_args(args, args.model)
    assert isinstance(handle, ModelHandle)
    evaluated = evaluate_lens(
        handle, args.lens, texts, split=args.split, positions=args.positions,
        sentences=args.sentences, progress=not args.no_progress,
    )  # fmt: skip
    out = RunFolder(where, kind="lens-eval")
    frame, verdict = evaluated.frame, evaluated.verdict
    out.write_table("lens_eval.parquet", frame)
    out.write_table("lens_eval_verdict.parquet", verdict)
    from babelscope.plotting.lens_eval import plot_lens_eval

    figure = plot_lens_eval(frame, title=f"{args.model}: logit vs tuned lens (held out)")
    out.write_bytes("plots/lens_eval.png", _png(figure))
    summary = {
        "kind": "lens-eval",
        "out": str(out.path),
        "model": args.model,
        "lens": args.lens,
        "languages": len(languages),
        "share_languages_all_layers_better": float(verdict.all_better.mean()),
        "languages_not_better": sorted(verdict.loc[~verdict.all_better, "language"]),
    }
    out.finish(
        {
            "kind": "lens-eval",
            "argv": sys.argv[1:],
            "models": {handle.name: handle.provenance()},
            "data": {"spec": args.data, "split": args.split, "languages": languages},
            "settings": {
                "lens": args.lens,
                "positions": args.positions,
                "sentences": args.sentences,
                "held_out": f"sentence ids i % {evaluated.held_out_every} == 0",
            },
            "summary": summary,
        }
    )
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    print(
        f"tuned lens below the logit lens at every layer 1..L-1 for "
        f"{verdict.all_better.sum()}/{len(verdict)} languages; wrote {out.path}",
        file=sys.stderr,
    )
    return 0


def _same(one: str | Path, two: str | Path) -> bool:
    return Path(one).expanduser().resolve() == Path(two).expanduser().resolve()


def _png(figure: object) -> bytes:
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)  # type: ignore[attr-defined]
    return buffer.getvalue()
