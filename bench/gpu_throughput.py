"""Throughput of ``rank`` and the latent-language lens on a GPU, against a plain Hugging Face
forward of the same texts on the same GPU, as one small table. Run by ``bench/gpu_check.sh``.

- rank: the real ``babelscope rank`` command (``--device cuda``, batch sizes ``auto``: sized
  to free memory), sentences/s and tokens/s of its store-filling phase, from its manifest;
  HF: ``model(**batch, output_hidden_states=True)`` over the same native-script sentences in
  padded batches of 32 (every position's logits, as a user computing bits per byte would).
- latent: :func:`measure` over translation prompts (batched, stops after the last block, lens
  on the last position); HF: one ``output_hidden_states`` forward per prompt, then final norm
  and head on each layer's last position.

FLORES comes from ``$BABELSCOPE_FLORES`` or ``../shared/data``; without it, synthetic parallel
text from the test fixtures (rates in tokens/s stay comparable, the ranking itself does not).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

from _common import FLORES, REPO, machine

sys.path.insert(0, str(REPO / "tests" / "integration"))
sys.path.insert(0, str(REPO / "tests"))

#: ``--device cpu`` runs this script's logic on a CPU (a smoke test, not a measurement).
RUN = {"device": "cuda"}
LANGS = "fra_Latn,deu_Latn,zho_Hans,jpn_Jpan,rus_Cyrl,arb_Arab,hin_Deva,yor_Latn,swh_Latn"


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def flores_spec(tmp: Path) -> tuple[str, str]:
    path = os.environ.get("BABELSCOPE_FLORES", str(FLORES))
    if Path(path).exists():
        return f"flores200:{path}", LANGS
    from test_rank_support import write_flores

    return f"flores200:{write_flores(tmp / 'flores', 100)}", "fra_Latn,deu_Latn,spa_Latn,rus_Cyrl"


def rank_rate(
    model: str, data: str, langs: str, dtype: str, *, n: int, out: Path
) -> dict[str, float]:
    from babelscope.cli.main import main

    argv = ["rank", "--model", model, "--data", data, "--languages", langs]
    argv += ["--sentences", str(n), "--device", RUN["device"], "--dtype", dtype, "--bootstrap", "0"]
    assert main([*argv, "--no-report", "--no-progress", "--out", str(out)]) == 0
    timings = json.loads((out / "manifest.json").read_text())["timings"]
    secs = timings["compute_seconds"]
    return {"sent/s": timings["sentences"] / secs, "tok/s": timings["tokens"] / secs}


def hf_rank_rate(model: str, data: str, langs: str, dtype: str, n: int) -> dict[str, float]:
    from babelscope import load_model
    from babelscope.data.spec import parse_data_spec

    handle = load_model(model, device=RUN["device"], dtype=dtype, progress=False)
    dataset = parse_data_spec(data)
    texts = [
        s for code in ["eng_Latn", *langs.split(",")] for s in dataset.sentences(code, "dev", n)
    ]  # type: ignore[attr-defined]
    texts.sort(key=len)
    tok, tokens = handle.tokenizer, 0
    _sync()
    start = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(texts), 32):
            batch = tok(texts[i : i + 32], return_tensors="pt", padding=True).to(RUN["device"])
            handle.model(**batch, output_hidden_states=True)
            tokens += int(batch["attention_mask"].sum())
    _sync()
    secs = time.perf_counter() - start
    return {"sent/s": len(texts) / secs, "tok/s": tokens / secs}


def latent_rates(model: str, dtype: str, prompts: int) -> tuple[dict[str, float], dict[str, float]]:
    from babelscope import load_model
    from babelscope.analyses.latent import Pair
    from babelscope.analyses.latent.measure import measure
    from babelscope.analyses.latent.prompts import build_prompts
    from babelscope.analyses.latent.token_sets import prefix_index, prepare
    from babelscope.data.lexicon import builtin_lexicon

    handle = load_model(model, device=RUN["device"], dtype=dtype, progress=False)
    pair = Pair.make("translation", "fra_Latn", "zho_Hans")
    built = build_prompts(
        builtin_lexicon(),
        task="translation",
        source="fra_Latn",
        target="zho_Hans",
        measured=pair.measured([]),
    )
    prepared = prepare(built, prefix_index(handle.tokenizer))
    texts = [p.text for p in prepared.prompts][:prompts]
    ids = [
        {"target": s["zho_Hans"], "source": s["fra_Latn"], "English": s["eng_Latn"]}
        for s in prepared.token_ids[:prompts]
    ]
    answers = [s["zho_Hans"][:1] for s in prepared.token_ids[:prompts]]
    names = ["target", "source", "English"]
    tokens = sum(len(handle.tokenizer(t)["input_ids"]) for t in texts)
    measure(handle, texts[:4], ids[:4], names, answer_ids=answers[:4])  # warm-up
    _sync()
    start = time.perf_counter()
    measure(handle, texts, ids, names, answer_ids=answers)
    _sync()
    ours = time.perf_counter() - start
    start = time.perf_counter()
    with torch.no_grad():
        for text in texts:
            enc = handle.tokenizer(text, return_tensors="pt").to(RUN["device"])
            hidden = handle.model(**enc, output_hidden_states=True).hidden_states
            for state in hidden[:-1]:  # the last entry is already after the final norm
                torch.softmax(handle.unembed(handle.final_norm(state[:, -1])).float(), -1)
            torch.softmax(handle.unembed(hidden[-1][:, -1]).float(), -1)
    _sync()
    theirs = time.perf_counter() - start
    rate = lambda s: {"sent/s": len(texts) / s, "tok/s": tokens / s}  # noqa: E731
    return rate(ours), rate(theirs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="smollm2-135m,gemma-3-270m")
    parser.add_argument("--dtype", default="bfloat16")
    parser.add_argument("--sentences", type=int, default=100, help="per language (rank)")
    parser.add_argument("--prompts", type=int, default=60, help="latent prompts")
    parser.add_argument("--device", default="cuda", help="cpu: smoke-test this script")
    args = parser.parse_args()
    RUN["device"] = args.device
    if RUN["device"] == "cuda" and not torch.cuda.is_available():
        sys.exit("bench/gpu_throughput.py needs CUDA")
    name = torch.cuda.get_device_name() if RUN["device"] == "cuda" else "CPU (smoke test)"
    print(f"throughput: {name}, {args.dtype}; {machine()}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data, langs = flores_spec(Path(tmp))
        for model in args.models.split(","):
            out = Path(tmp) / f"rank-{model}"
            ours = rank_rate(model, data, langs, args.dtype, n=args.sentences, out=out)
            hf = hf_rank_rate(model, data, langs, args.dtype, args.sentences)
            rows.append((model, "rank", ours, hf))
            rows.append((model, "latent", *latent_rates(model, args.dtype, args.prompts)))
    print(f"{'model':16} {'job':7} {'ours sent/s':>12} {'ours tok/s':>11} {'HF tok/s':>10} ratio")
    for model, job, ours, hf in rows:
        ratio = ours["tok/s"] / hf["tok/s"]
        print(
            f"{model:16} {job:7} {ours['sent/s']:12.1f} {ours['tok/s']:11.0f} "
            f"{hf['tok/s']:10.0f} {ratio:5.2f}x"
        )


if __name__ == "__main__":
    main()
