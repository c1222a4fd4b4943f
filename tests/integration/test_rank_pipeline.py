"""The ranking pipeline on a tiny random model and synthetic parallel text."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import torch
from test_rank_support import LANGUAGES, flores_dir, synthetic_corpus, tiny_model_dir

from babelscope import load_model
from babelscope.analyses.ranking import METRICS, RankResult, RankSettings, run_rank
from babelscope.analyses.ranking.settings import METRIC_LABELS
from babelscope.capture import capture
from babelscope.collect import ForwardSpec, forward_texts
from babelscope.data.flores import FloresDataset
from babelscope.models.handle import ModelHandle
from babelscope.runs import RunFolder
from state_tolerance import assert_states_close

pytestmark = pytest.mark.integration
__all__ = ["flores_dir", "tiny_model_dir"]  # fixtures used by name below

SETTINGS = RankSettings(sentences=24, shard_size=8, probe_max_iter=200)


@pytest.fixture(scope="module")
def handle(tiny_model_dir: Path) -> ModelHandle:
    return load_model(str(tiny_model_dir), progress=False)


@pytest.fixture(scope="module")
def ranked(handle: ModelHandle, flores_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    store = tmp_path_factory.mktemp("rank") / "store"
    return run_rank(
        handle, FloresDataset.open(flores_dir), settings=SETTINGS, store_dir=store, progress=False
    )


def test_states_match_the_capture_engine(handle: ModelHandle) -> None:
    texts = synthetic_corpus(6)["fra_Latn"]
    spec = ForwardSpec(layers=(0, 2, 3), batch_size=4)
    ours = forward_texts(handle, texts, spec, text_metrics=False)
    for pooling in ("last", "weighted_mean"):
        reference = capture(handle, texts, layers=[0, 2, 3], pooling=pooling, batch_size=1)
        for layer in (0, 2, 3):
            # ours: batches of 4; the reference: one text at a time
            assert_states_close(
                ours[f"{pooling}.{layer}"], reference.pooled[layer], same_shapes=False
            )


def test_bits_match_the_full_hf_forward(handle: ModelHandle) -> None:
    texts = synthetic_corpus(5)["deu_Latn"]
    spec = ForwardSpec(layers=(1,), batch_size=3, head_chunk=7)  # chunks cut across rows
    ours = forward_texts(handle, texts, spec, text_metrics=True)
    for i, text in enumerate(texts):
        ids = torch.tensor([handle.tokenizer(text)["input_ids"]])
        with torch.no_grad():
            logp = torch.log_softmax(handle.model(ids).logits.double(), -1)[0]
        nats = -logp[:-1].gather(1, ids[0, 1:, None]).sum()
        assert ours["nll_bits"][i].item() == pytest.approx(nats.item() / math.log(2), rel=1e-5)
        assert ours["scored_tokens"][i].item() == ids.shape[1] - 1  # BOS is context only
        assert ours["scored_bytes"][i].item() == len(text.encode())
        assert ours["content_tokens"][i].item() == ids.shape[1] - 1


def test_batching_does_not_change_states_beyond_float_noise(handle: ModelHandle) -> None:
    texts = synthetic_corpus(7)["eng_Latn"]
    one = forward_texts(handle, texts, ForwardSpec(layers=(3,), batch_size=1), text_metrics=True)
    many = forward_texts(handle, texts, ForwardSpec(layers=(3,), batch_size=7), text_metrics=True)
    for name in ("last.3", "mean.3", "weighted_mean.3"):
        assert_states_close(many[name], one[name], same_shapes=False, msg=name)
    torch.testing.assert_close(many["nll_bits"], one["nll_bits"], rtol=1e-5, atol=1e-5)


def test_tables_have_the_documented_shape(ranked) -> None:
    result: RankResult = ranked.result
    others = [code for code in LANGUAGES if code != "eng_Latn"]
    assert sorted(result.summary["language"]) == sorted(others)  # pivot is not ranked
    assert result.layers == [0, 1, 2, 3] and result.summary_layers == [1, 2, 3]
    # every metric and retrieval, normalised (the default) and raw (``<metric>_raw``)
    expected = len(others) * len(result.layers) * (len(METRICS) + 1) * 2
    assert len(result.layer_metrics) == expected
    assert list(result.layer_metrics.columns[-3:]) == ["null", "lo", "hi"]
    summary = result.summary
    assert (summary["rank_lo"] <= summary["overall_rank"]).all()
    assert (summary["overall_rank"] <= summary["rank_hi"]).all()
    assert {"mexa_lo", "mexa_hi", "mexa_null", "mexa_raw", "cka_debiased"} <= set(summary.columns)
    assert result.summary["overall_rank"].tolist() == sorted(result.summary["overall_rank"])
    assert result.summary["overall_rank"].iloc[0] == 1
    assert result.summary["score"].between(0, 1).all()
    # summary = mean over the summary layers of the per-layer values
    mexa = result.layer_metrics.query("metric == 'mexa' and layer >= 1 and language == 'fra_Latn'")
    row = result.summary.set_index("language").loc["fra_Latn"]
    assert row["mexa"] == pytest.approx(mexa["value"].mean())
    assert result.identity["layer"].tolist() == [0, 1, 2, 3]
    assert (result.identity["probe_chance"] == 1 / len(LANGUAGES)).all()
    assert set(result.script["language"]) == {"rus_Cyrl"}
    assert set(result.script["pair"]) == {"native-pivot", "roman-pivot", "native-roman"}
    assert ranked.timings["computed_shards"] == 18  # 5 languages + 1 romanised, 3 shards each


def test_text_metrics_known_relations(ranked) -> None:
    text = ranked.result.text.set_index("language")
    assert text.loc["eng_Latn", "token_premium"] == 1.0
    # the Cyrillic twin of the English sentences has the same characters, twice the bytes
    assert (
        text.loc["rus_Cyrl", "bytes_per_sentence"]
        > 1.7 * text.loc["eng_Latn", "bytes_per_sentence"]
    )
    assert text.loc["rus_Cyrl", "chars_per_sentence"] == text.loc["eng_Latn", "chars_per_sentence"]
    bits = text.loc["fra_Latn"]
    assert bits["bits_per_byte"] == pytest.approx(
        bits["bits_per_sentence"] * 24 / (bits["bytes_per_sentence"] * 24)
    )
    # a random model is near uniform over its 96 tokens: about log2(96) bits per token
    assert 5.5 < text.loc["eng_Latn", "bits_per_token"] < 7.5


def test_rerun_reuses_the_store_and_gives_identical_tables(
    handle: ModelHandle, flores_dir: Path, ranked
) -> None:
    store = Path(ranked.store["path"]).parent
    again = run_rank(
        handle, FloresDataset.open(flores_dir), settings=SETTINGS, store_dir=store, progress=False
    )
    assert again.timings["computed_shards"] == 0
    pd.testing.assert_frame_equal(again.result.summary, ranked.result.summary)
    pd.testing.assert_frame_equal(again.result.layer_metrics, ranked.result.layer_metrics)


def test_standardize_and_summary_options_are_recorded(
    handle: ModelHandle, flores_dir: Path, ranked
) -> None:
    store = Path(ranked.store["path"]).parent
    settings = RankSettings(
        sentences=24, shard_size=8, standardize=True, summary_layers="all", script_barrier=False
    )
    run = run_rank(
        handle,
        FloresDataset.open(flores_dir),
        languages="fra_Latn,de,spa_Latn",
        settings=settings,
        store_dir=store,
        progress=False,
    )
    assert run.timings["computed_shards"] == 0  # same forward settings: same store
    assert run.result.settings["normalization"] == "all"
    assert run.result.settings["standardize"] is True and run.result.summary_layers == [0, 1, 2, 3]
    assert sorted(run.result.summary["language"]) == ["deu_Latn", "fra_Latn", "spa_Latn"]
    assert run.result.script.empty
    ranker = run.result.layer_metrics.query("metric == 'ranker'")["value"]
    raw = ranked.result.layer_metrics.query("metric == 'ranker_raw'")["value"]
    assert ranker.mean() < raw.mean()  # z-scoring removes the shared direction


def test_save_load_plot_and_report(ranked, tmp_path: Path) -> None:
    from babelscope.report.html import Report
    from babelscope.report.sections.ranking import add_rank_sections

    result: RankResult = ranked.result
    folder = RunFolder(tmp_path / "run")
    result.save(folder)
    loaded = RankResult.load(folder.path)
    pd.testing.assert_frame_equal(loaded.summary, result.summary)
    pd.testing.assert_frame_equal(loaded.script, result.script)
    assert loaded.meta() == result.meta()
    _assert_plots_show_the_tables(loaded)
    report = Report("test")
    add_rank_sections(report, loaded)
    html = report.render()
    assert "Language ranking" in html and "Script barrier" in html and "Spearman" in html
    assert report.sections[0].id.startswith("rank-")


def _bars(figure) -> tuple[list[float], list[str]]:  # type: ignore[no-untyped-def]
    """Bar lengths and their labels, top bar first (ranking charts draw the first at the top)."""
    ax = figure.axes[0]
    bars = sorted(ax.patches, key=lambda bar: -bar.get_y())
    labels = {
        round(tick): text.get_text()
        for tick, text in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)
    }
    return [bar.get_width() for bar in bars], [
        labels[round(bar.get_y() + bar.get_height() / 2)] for bar in bars
    ]


def _lines(ax) -> dict[str, tuple[list[float], list[float]]]:  # type: ignore[no-untyped-def]
    return {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in ax.lines}


def _assert_plots_show_the_tables(result: RankResult) -> None:
    """Every figure draws the numbers of its table, in the order and with the labels it claims."""
    summary = result.summary.sort_values("score", ascending=False, kind="stable")
    widths, labels = _bars(result.plot("ranking"))
    assert widths == pytest.approx(summary["score"].tolist())
    assert labels == [
        f"{n} ({c})" for n, c in zip(summary["name"], summary["language"], strict=True)
    ]

    layers = result.plot("layers")
    frame = result.layer_metrics
    panels = [ax for ax in layers.axes if ax.get_visible() and ax.get_title()]
    assert [ax.get_title() for ax in panels] == [METRIC_LABELS[m] for m in METRICS]
    for ax, metric in zip(panels, METRICS, strict=True):
        curves = _lines(ax)
        assert set(curves) == set(result.summary["language"])  # <= 8 languages: all shown
        for language, (xs, ys) in curves.items():
            rows = frame[(frame["metric"] == metric) & (frame["language"] == language)]
            rows = rows.sort_values("layer")
            assert xs == rows["layer"].tolist() and ys == pytest.approx(rows["value"].tolist())

    image = result.plot("heatmap").axes[0].images[0].get_array()
    mexa = frame[frame["metric"] == "mexa"].pivot(index="language", columns="layer", values="value")
    expected = mexa.loc[result.summary["language"], sorted(mexa.columns)].to_numpy()
    assert image.shape == expected.shape and image.filled(float("nan")) == pytest.approx(
        expected, nan_ok=True
    )

    identity = _lines(result.plot("identity").axes[0])
    probe = identity["language identity (ID probe)"]
    retrieval = identity[f"meaning (retrieval vs {result.pivot})"]
    assert probe[1] == pytest.approx(result.identity["probe_accuracy"].tolist())
    assert retrieval[1] == pytest.approx(result.identity["retrieval_accuracy"].tolist())

    script = _lines(result.plot("script").axes[0])
    means = result.script[result.script["metric"] == "mexa"].groupby(["pair", "layer"])["value"]
    for pair, (xs, ys) in script.items():
        assert ys == pytest.approx(means.mean().loc[pair].loc[xs].tolist())
    assert set(script) == {"native-pivot", "roman-pivot", "native-roman"}

    text = result.text.dropna(subset=["token_premium"]).sort_values("token_premium", kind="stable")
    widths, labels = _bars(result.plot("text"))
    assert widths == pytest.approx(text["token_premium"].tolist())
    assert labels == text["language"].tolist()


def test_identity_probe_agrees_with_sklearn() -> None:
    from babelscope.analyses.geometry import language_id_probe_accuracy
    from babelscope.analyses.ranking.identity import language_id_probe

    g = torch.Generator().manual_seed(0)
    centres = torch.randn(6, 16, generator=g)
    noisy = {f"l{i}": centres[i] * 0.4 + torch.randn(40, 16, generator=g) for i in range(6)}
    ours, reference = language_id_probe(noisy), language_id_probe_accuracy(noisy)
    assert 1 / 6 < ours < 1.0 and abs(ours - reference) <= 0.05
    same = torch.randn(40, 16, generator=g)
    assert language_id_probe({f"l{i}": same for i in range(4)}) == 0.25  # chance exactly
    apart = {f"l{i}": centres[i] * 10 + torch.randn(40, 16, generator=g) for i in range(6)}
    assert language_id_probe(apart) == 1.0


def test_resource_levels_colour_the_chart_and_join_the_agreement(ranked) -> None:
    result: RankResult = ranked.result
    ranked_codes = result.summary["language"].tolist()
    levels = {code: float(i % 3) for i, code in enumerate(ranked_codes[:-1])}  # last: not given
    with_levels = result.with_resource_levels(levels)
    column = with_levels.summary.set_index("language")["resource_level"]
    assert column[ranked_codes[0]] == 0.0 and column.isna().sum() == 1
    assert with_levels.summary.columns.tolist() == [*result.summary.columns, "resource_level"]
    spearman = with_levels.spearman
    pairs = set(zip(spearman["metric_a"], spearman["metric_b"], strict=True))
    assert ("mexa", "resource_level") in pairs
    legend = with_levels.plot("ranking").axes[0].get_legend()
    assert {t.get_text() for t in legend.get_texts()} == {
        "level 0",
        "level 1",
        "level 2",
        "not given",
    }
    text_levels = result.with_resource_levels(dict.fromkeys(ranked_codes, "low"))
    assert len(text_levels.spearman) == len(result.spearman)  # labels are not ordinal


def test_a_bad_resource_level_file_fails_before_the_model_loads(
    flores_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from babelscope.cli.main import main

    out = tmp_path / "out"
    argv = ["rank", "--model", "no-such-model", "--data", f"flores200:{flores_dir}"]
    argv += ["--resource-levels", str(tmp_path / "absent.csv"), "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "no resource-level file" in err  # not the model error
    assert not out.exists()


def test_a_missing_analysis_dependency_fails_before_the_model_loads(
    flores_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from babelscope.cli.main import main

    monkeypatch.setitem(sys.modules, "sklearn.linear_model", None)  # import now raises
    out = tmp_path / "out"
    argv = ["rank", "--model", "no-such-model", "--data", f"flores200:{flores_dir}"]
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "rank needs sklearn" in err  # not the model error
    assert not out.exists()
