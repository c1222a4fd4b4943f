"""Benchmarks of ``babelscope rank`` on gemma-3-270m (CPU).

1. **Throughput** of the rank forward — pooled states of every layer (3 poolings) plus the
   log-likelihood of every token from ONE forward per batch, LM head applied by hand in chunks —
   against the plain HF forward a user would write (``output_hidden_states=True``, full
   ``[B, T, V]`` logits, ``log_softmax``). Also the same forward without text metrics and with
   a bfloat16 head. Checks that all give the same numbers.
2. **Peak RSS** of a real ``babelscope rank`` process at N and 10·N sentences per language.
3. **Cost of resuming**: a fresh run, the same run again over a complete store (verification
   of every shard + analyses), and a run SIGKILLed half-way and resumed.

Run: ``.venv/bin/python bench/bench_rank.py [--part all|throughput|memory|resume]``. Both
CPU cores are shared with whatever else runs; the script prints the load average so numbers
can be read in context.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from _common import FLORES, flores_sentences, machine, show, timed

MODEL = "gemma-3-270m"
BATCH = 16
# VmHWM, not getrusage: ru_maxrss survives fork + exec, so a child would report the parent's
# peak (this script's own, after the HF baseline's full logits) instead of its own.
DRIVER = """
import sys
from pathlib import Path
from babelscope.cli.main import main
code = main(sys.argv[1:])
status = Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0]
print("PEAK_RSS_MIB", int(status) / 1024, flush=True)
sys.exit(code)
"""


def hf_baseline(handle, texts: list[str]) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """What a user writes by hand: every hidden state and the full logits, then pool and
    gather. Batches in input order, right padding."""
    from babelscope.capture.pooling import pool

    tok = handle.tokenizer
    states: dict[str, list[torch.Tensor]] = {}
    bits: list[torch.Tensor] = []
    for start in range(0, len(texts), BATCH):
        enc = tok(
            texts[start : start + BATCH], return_tensors="pt", padding=True, padding_side="right"
        )
        with torch.no_grad():
            out = handle.model(**enc, output_hidden_states=True)
        mask = enc["attention_mask"]
        skip = enc["input_ids"][:, 0] == tok.bos_token_id
        for layer, hidden in enumerate(out.hidden_states[:-1]):  # last entry is normed
            for pooling in ("last", "mean", "weighted_mean"):
                first = skip if pooling != "last" else None
                states.setdefault(f"{pooling}.{layer}", []).append(
                    pool(hidden, mask, pooling, skip_first=first)
                )
        logp = torch.log_softmax(out.logits.float(), dim=-1)
        ids = enc["input_ids"]
        picked = logp[:, :-1].gather(2, ids[:, 1:, None]).squeeze(2)
        real = (mask[:, :-1] * mask[:, 1:]).bool()
        bits.append(-(picked * real).sum(1).double() / torch.log(torch.tensor(2.0)).double())
    return {k: torch.cat(v) for k, v in states.items()}, torch.cat(bits)


def throughput(sentences: int, repeat: int) -> None:
    from babelscope import load_model
    from babelscope.collect import ForwardSpec, forward_texts

    handle = load_model(MODEL, progress=False)
    texts = flores_sentences(sentences)
    tokens = sum(len(ids) for ids in handle.tokenizer(texts)["input_ids"])
    layers = tuple(range(handle.n_layers + 1))
    spec = ForwardSpec(layers=layers)
    runs = {
        "rank forward, text metrics (float32 head)": lambda: forward_texts(
            handle, texts, spec, text_metrics=True
        ),
        "rank forward, text metrics (bfloat16 head)": lambda: forward_texts(
            handle, texts, ForwardSpec(layers=layers, head_dtype="bfloat16"), text_metrics=True
        ),
        "rank forward, --no-text-metrics": lambda: forward_texts(
            handle, texts, spec, text_metrics=False
        ),
        "plain HF forward (hidden states + full logits)": lambda: hf_baseline(handle, texts),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    results = {}
    for _ in range(repeat):  # interleaved, so load from other processes hits all alike
        for name, fn in runs.items():
            seconds, results[name] = timed(fn)
            times[name].append(seconds)
    base = min(times["plain HF forward (hidden states + full logits)"])
    print(f"throughput: {len(texts)} FLORES dev sentences, {tokens} tokens, {MODEL}")
    rows = []
    for name, values in times.items():
        best = min(values)
        rows.append(
            (
                name,
                f"{best:6.1f} s  {len(texts) / best:5.2f} sent/s  {tokens / best:6.0f} tok/s  "
                f"x{base / best:.2f} vs HF",
            )
        )
    show(rows)
    ours = results["rank forward, text metrics (float32 head)"]
    hf_states, hf_bits = results["plain HF forward (hidden states + full logits)"]
    worst = max(
        ((ours[k] - v).norm(dim=-1) / v.norm(dim=-1)).max().item() for k, v in hf_states.items()
    )
    rel = ((ours["nll_bits"] - hf_bits).abs() / hf_bits).max().item()
    bf = results["rank forward, text metrics (bfloat16 head)"]
    bf_rel = ((bf["nll_bits"].sum() - ours["nll_bits"].sum()) / ours["nll_bits"].sum()).item()
    show(
        [
            ("max relative state difference vs HF", f"{worst:.2e}"),
            ("max relative bits difference vs HF", f"{rel:.2e}"),
            ("bfloat16 head: relative error of total bits", f"{bf_rel:+.2e}"),
        ]
    )


def _rank_argv(out: Path, sentences: int, langs: str) -> list[str]:
    return [
        "rank",
        "--model",
        MODEL,
        "--data",
        f"flores200:{os.environ.get('BABELSCOPE_FLORES', str(FLORES))}",
        "--languages",
        langs,
        "--sentences",
        str(sentences),
        "--out",
        str(out),
        "--no-report",
        "--no-progress",
    ]


def _run_cli(argv: list[str], driver: Path) -> tuple[float, float, dict]:
    """Wall seconds, peak RSS (MiB) and the run manifest of one CLI process."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(driver), *argv], capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - start
    peak = float(done.stdout.split("PEAK_RSS_MIB")[-1].split()[0])
    out = Path(argv[argv.index("--out") + 1])
    return seconds, peak, json.loads((out / "manifest.json").read_text())


def memory_and_resume(sentences: int, langs: str, parts: set[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        driver = root / "driver.py"
        driver.write_text(DRIVER)
        big = 10 * sentences
        if "memory" in parts:
            print(f"peak RSS of `babelscope rank` ({langs}; text metrics on):")
            rows = []
            for n in (sentences, big):
                seconds, peak, _ = _run_cli(_rank_argv(root / f"m{n}", n, langs), driver)
                rows.append((f"{n:4d} sentences/language", f"{peak:7.0f} MiB  ({seconds:.0f} s)"))
            show(rows)
            low = float(rows[0][1].split()[0])
            high = float(rows[1][1].split()[0])
            show([("increase for 10x sentences", f"{100 * (high - low) / low:+.1f} %")])
        if "resume" in parts:
            print(f"cost of resuming ({big} sentences/language, {langs}):")
            fresh, _, manifest = _run_cli(_rank_argv(root / "r", big, langs), driver)
            again, _, manifest2 = _run_cli(_rank_argv(root / "r", big, langs), driver)
            store = manifest["store"]
            # kill half-way through a fresh run, then resume
            argv = _rank_argv(root / "k", big, langs)
            process = subprocess.Popen([sys.executable, str(driver), *argv])
            half = max(1, store["shards"] // 2)
            while True:
                listed = list((root / "k" / "store").glob("*/manifest.json"))
                try:
                    count = len(json.loads(listed[0].read_text())["shards"]) if listed else 0
                except ValueError:
                    count = 0
                if count >= half or process.poll() is not None:
                    break
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            process.wait()
            resumed, _, manifest3 = _run_cli(argv, driver)
            show(
                [
                    ("fresh run", f"{fresh:6.1f} s ({store['shards']} shards)"),
                    (
                        "same run, store complete",
                        f"{again:6.1f} s (model load + verify {store['bytes'] / 2**20:.0f} MiB"
                        f" + analyses; {manifest2['timings']['computed_shards']:.0f} computed)",
                    ),
                    (
                        f"killed after {half} shards, resumed",
                        f"{resumed:6.1f} s "
                        f"({manifest3['timings']['computed_shards']:.0f} shards recomputed)",
                    ),
                ]
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", default="all", choices=["all", "throughput", "memory", "resume"])
    parser.add_argument("--sentences", type=int, default=48, help="throughput sentences")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--memory-sentences", type=int, default=8, help="N (and 10·N)")
    parser.add_argument("--languages", default="eng_Latn,fra_Latn,amh_Ethi")
    args = parser.parse_args()
    print(f"machine: {machine()}; load average before: {os.getloadavg()}")
    parts = {"throughput", "memory", "resume"} if args.part == "all" else {args.part}
    if "throughput" in parts:
        throughput(args.sentences, args.repeat)
    if parts & {"memory", "resume"}:
        memory_and_resume(args.memory_sentences, args.languages, parts)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
