"""``babelscope lens``: per-layer top tokens of a lens for one prompt; ``babelscope lens train``
and ``babelscope lens eval`` train and judge a multilingual tuned lens (cmd_lens_tuned.py)."""

from __future__ import annotations

import argparse
import json

from babelscope.cli.options import (
    COUNT,
    add_lens_option,
    add_model_options,
    lens_from_args,
    load_from_args,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "lens",
        help="decode every layer of one prompt with a lens; `lens train` / `lens eval` for a "
        "tuned lens",
        description="Top tokens of every layer for --prompt, or one of the subcommands.",
    )
    add_model_options(parser, required=False)
    parser.add_argument("--prompt", help="the prompt text")
    add_lens_option(parser)
    parser.add_argument("--layers", default="all", help="e.g. all, 0,4,8-12, -1 (default all)")
    parser.add_argument("--top-k", type=COUNT, default=5, metavar="K", help="tokens per layer")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)
    from babelscope.cli import cmd_lens_tuned

    actions = parser.add_subparsers(dest="lens_action", metavar="ACTION")
    cmd_lens_tuned.register(actions)


def run(args: argparse.Namespace) -> int:
    from babelscope.errors import ConfigError

    if not args.model:
        raise ConfigError("no model given", fix="pass --model gemma-3-270m (or another model)")
    if not args.prompt or not args.prompt.strip():
        raise ConfigError("the prompt is empty", fix="pass --prompt 'some text'")
    from babelscope.capture.sites import resolve_layers
    from babelscope.lens.logit_lens import top_tokens
    from babelscope.models.handle import ModelHandle

    handle = load_from_args(args, args.model)
    assert isinstance(handle, ModelHandle)
    layers = resolve_layers(args.layers, handle.n_layers)
    k = min(args.top_k, handle.vocab_size)
    lens = lens_from_args(args, handle)
    result = top_tokens(handle, args.prompt, layers=layers, k=k, lens=lens)
    if args.json:
        rows = [
            {
                "layer": layer,
                "entropy_bits": ent,
                "top": [
                    {"token": t, "id": i, "prob": p}
                    for t, i, p in zip(toks, ids, probs, strict=True)
                ],
            }
            for layer, toks, ids, probs, ent in zip(
                result.layers,
                result.tokens,
                result.token_ids,
                result.probs,
                result.entropy_bits,
                strict=True,
            )
        ]
        print(
            json.dumps(
                {"model": args.model, "prompt": args.prompt, "layers": rows},
                ensure_ascii=False,
                indent=1,
            )
        )
        return 0
    print(f"model: {args.model}  ({handle.n_layers} blocks; layer 0 = embeddings)")
    print(f"prompt: {args.prompt!r}")
    print(f"{'layer':>5}  {'H(bits)':>7}  top tokens (probability)")
    for layer, toks, probs, ent in zip(
        result.layers, result.tokens, result.probs, result.entropy_bits, strict=True
    ):
        cells = "  ".join(f"{t!r} {p:.3f}" for t, p in zip(toks, probs, strict=True))
        print(f"{layer:>5}  {ent:>7.2f}  {cells}")
    return 0
