"""``babelscope rank`` on the bundled models: a handful of languages, few sentences.

Kept to a few minutes: 5 FLORES languages (plus two romanised twins) × 8 sentences per
model, one run per model shared by the tests. The assertions are ones 8 sentences can carry:
well-resourced languages align with English better than languages in rare scripts, rare scripts
cost more tokens and bits, the hand-applied LM head reproduces HF's log-likelihood, and the
report renders in Chromium.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from babelscope.analyses.ranking import RankResult
from babelscope.cli.main import main
from babelscope.collect import ForwardSpec, forward_texts
from babelscope.data.flores import FloresDataset
from babelscope.models.handle import ModelHandle
from babelscope.runs import is_complete

pytestmark = pytest.mark.slow

LANGS = "eng_Latn,fra_Latn,deu_Latn,shn_Mymr,dzo_Tibt"


def test_hand_applied_head_matches_hf_logits(bundled: ModelHandle, shared_data: Path) -> None:
    data = FloresDataset.open(shared_data / "flores200_dev.tar.xz")
    texts = data.sentences("fra_Latn", "dev", 2)
    spec = ForwardSpec(layers=(bundled.n_layers,), poolings=("last",), batch_size=2)
    ours = forward_texts(bundled, texts, spec, text_metrics=True)
    for i, text in enumerate(texts):
        ids = torch.tensor([bundled.tokenizer(text)["input_ids"]])
        with torch.no_grad():
            logits = bundled.model(ids).logits.double()
        nats = -torch.log_softmax(logits, -1)[0, :-1].gather(1, ids[0, 1:, None]).sum()
        assert ours["nll_bits"][i].item() == pytest.approx(nats.item() / math.log(2), rel=1e-4)


@pytest.fixture(scope="module", params=["gemma-3-270m", "smollm2-135m"])
def run_dir(
    request: pytest.FixtureRequest, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("rank") / request.param
    argv = [
        "rank",
        "--model",
        request.param,
        "--data",
        f"flores200:{shared_data / 'flores200_dev.tar.xz'}",
        "--languages",
        LANGS,
        "--sentences",
        "8",
        "--out",
        str(out),
        "--no-progress",
    ]
    assert main(argv) == 0
    return out


def test_rank_cli_on_a_few_languages(run_dir: Path) -> None:
    assert is_complete(run_dir)
    result = RankResult.load(run_dir)
    summary = result.summary.set_index("language")
    assert sorted(summary.index) == sorted(LANGS.split(",")[1:])
    high = summary.loc[["fra_Latn", "deu_Latn"]]
    low = summary.loc[["shn_Mymr", "dzo_Tibt"]]
    for metric in ("mexa", "adjusted_cosine", "retrieval"):
        assert high[metric].mean() > low[metric].mean(), metric
    text = result.text.set_index("language")
    assert text.loc["dzo_Tibt", "token_premium"] > 2.5
    assert text.loc["shn_Mymr", "bits_per_sentence"] > text.loc["fra_Latn", "bits_per_sentence"]
    assert 0.3 < text.loc["eng_Latn", "bits_per_byte"] < 3.0
    assert set(result.script["language"]) == {"shn_Mymr", "dzo_Tibt"}
    manifest = json.loads((run_dir / "manifest.json").read_text())
    (model,) = manifest["models"].values()
    assert manifest["kind"] == "rank" and model["n_layers"] == len(result.layers) - 1
    assert manifest["store"]["shards"] == 7  # 5 languages + 2 romanised twins, 1 shard each
    assert (run_dir / "plots" / "rank_ranking.png").stat().st_size > 10_000


@pytest.mark.browser
def test_rank_report_renders_in_chromium(run_dir: Path) -> None:
    from babelscope.report.browser import ChromiumNotFoundError, check_in_chromium

    try:
        check = check_in_chromium(run_dir / "report.html")
    except ChromiumNotFoundError:
        pytest.skip("no Chromium")
    assert check.ok, check
    slug = "rank-" + run_dir.name
    assert {slug, f"{slug}-script", f"{slug}-identity", "provenance"} <= set(check.section_ids)
