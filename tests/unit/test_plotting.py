"""The plotting primitives draw what they are given: assertions on the Figure objects (plotted
data, labels, legends, colours, cell texts), not on the PNG bytes they rasterise to."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.text import Text

from babelscope.plotting import (
    figure_to_png_bytes,
    plot_entropy,
    plot_heatmap,
    plot_layer_curves,
    plot_ranking,
    save_figure,
)


def _curves() -> pd.DataFrame:
    rows = []
    for model, depth in (("a", 4), ("b", 6)):
        for language in ("en", "zh", "$x$"):
            for layer in range(depth):
                mean = layer / depth
                rows.append((model, language, layer, mean, mean - 0.1, mean + 0.1, 5 - layer))
    columns = ["model", "language", "layer", "mean", "lower", "upper", "entropy"]
    return pd.DataFrame(rows, columns=columns)


def _shown(text: Text) -> tuple[str, bool]:
    """What matplotlib will draw for ``text``, and whether it parses it as mathtext."""
    shown, math = text._preprocess_math(text.get_text())  # type: ignore[attr-defined]
    return str(shown), bool(math)


def _figure() -> Figure:
    frame = pd.DataFrame(
        {"model": ["m"] * 2, "language": ["en"] * 2, "layer": [0, 1], "mean": [0.1, 0.5]}
    )
    return plot_layer_curves(frame, lower=None, upper=None)


def test_layer_curves_plot_each_languages_means_per_model_panel() -> None:
    frame = _curves()
    figure = plot_layer_curves(frame, title="P(lang)")
    panels = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["a", "b"]
    for ax, model in zip(panels, ("a", "b"), strict=True):
        lines = ax.get_lines()
        assert [line.get_label() for line in lines] == ["en", "zh", r"\$x\$"]
        for line, language in zip(lines, ("en", "zh", "$x$"), strict=True):
            want = frame[(frame.model == model) & (frame.language == language)]
            np.testing.assert_allclose(line.get_xdata(), want["layer"])
            np.testing.assert_allclose(line.get_ydata(), want["mean"])
        assert len(ax.collections) == 3  # one interval band per language
        assert ax.get_xlabel() == "layer"
    assert panels[0].get_ylabel() == "probability"
    (legend,) = figure.legends
    assert legend.get_title().get_text() == "language"
    # "$x$" (a token) is drawn literally, never parsed as mathtext
    assert [_shown(t) for t in legend.get_texts()] == [
        ("en", False),
        ("zh", False),
        ("$x$", False),
    ]
    assert figure._suptitle is not None and figure._suptitle.get_text() == "P(lang)"


def test_entropy_overlays_the_matching_panels() -> None:
    frame = _curves()
    figure = plot_layer_curves(frame)
    entropy = frame.drop_duplicates(["model", "layer"])
    plot_entropy(entropy, on=figure)
    assert len(figure.axes) == 4  # two panels, two twins
    twins = figure.axes[2:]
    for twin, panel, model in zip(twins, figure.axes[:2], ("a", "b"), strict=True):
        assert twin.get_position().bounds == panel.get_position().bounds  # same place
        (line,) = twin.get_lines()
        want = entropy[entropy.model == model]
        np.testing.assert_allclose(line.get_ydata(), want["entropy"])
        assert line.get_linestyle() == "--"
    assert twins[0].get_ylim() == twins[1].get_ylim()  # one entropy scale across panels
    assert twins[-1].get_ylabel() == "entropy (nats)"

    alone = plot_entropy(entropy)
    assert [ax.get_title() for ax in alone.axes if ax.get_visible()] == ["a", "b"]
    assert alone.legends == []  # a single series needs no legend
    np.testing.assert_allclose(alone.axes[1].get_lines()[0].get_ydata(), [5, 4, 3, 2, 1, 0])
    with pytest.raises(ValueError, match="no panel"):
        plot_entropy(frame.assign(model="zzz").drop_duplicates(["layer"]), on=figure)


def _grid() -> pd.DataFrame:
    return pd.DataFrame(
        [(f"lang{r}", layer, r * layer / 10) for r in range(5) for layer in range(4)],
        columns=["language", "layer", "p"],
    )


def test_numeric_heatmap_shows_the_pivoted_values() -> None:
    grid = _grid()
    figure = plot_heatmap(grid, row="language", col="layer", value="p", title="t")
    heat, bar = figure.axes  # heatmap + colour bar
    values = np.asarray(heat.get_images()[0].get_array())
    np.testing.assert_allclose(values, grid.pivot(index="language", columns="layer", values="p"))
    assert [t.get_text() for t in heat.get_yticklabels()] == [f"lang{r}" for r in range(5)]
    assert (heat.get_xlabel(), heat.get_ylabel(), heat.get_title()) == ("layer", "language", "t")
    assert bar.get_ylabel() == "p"
    with pytest.raises(ValueError, match="aggregate first"):
        plot_heatmap(pd.concat([grid, grid]), row="language", col="layer", value="p")


def test_categorical_heatmap_colours_opacity_and_cell_text() -> None:
    grid = _grid()
    tokens = grid.assign(
        lang=np.where(grid["p"] > 0.5, "en", "zh"), token=["<s>", "$", "the", "x"] * 5
    )
    figure = plot_heatmap(
        tokens,
        row="language",
        col="layer",
        value="lang",
        alpha="p",
        text="token",
        palette={"en": "#ff0000", "zh": "#0000ff"},
    )
    (ax,) = figure.axes
    image = np.asarray(ax.get_images()[0].get_array())
    assert image.shape == (5, 4, 4)
    for row in tokens.itertuples():
        i, j = int(row.language[-1]), int(row.layer)
        np.testing.assert_allclose(image[i, j, :3], to_rgba({"en": "r", "zh": "b"}[row.lang])[:3])
        assert image[i, j, 3] == pytest.approx(min(1.0, row.p))  # opacity = the probability
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["zh", "en"]
    cells = {(t.get_position(), _shown(t)[0]) for t in ax.texts}
    assert ((1, 0), "$") in cells and ((0, 4), "<s>") in cells and len(cells) == 20

    gaps = tokens.iloc[1:].astype({"lang": "string"})  # (lang0, layer 0) is missing
    blank = plot_heatmap(
        gaps, row="language", col="layer", value="lang", text="token", col_order=[0, 1, 2, 3]
    )
    (ax,) = blank.axes
    assert np.asarray(ax.get_images()[0].get_array())[0, 0, 3] == 0.0  # nothing drawn there
    assert (0, 0) not in {t.get_position() for t in ax.texts} and len(ax.texts) == 19


def test_ranking_is_tall_enough_for_two_hundred_languages_best_on_top() -> None:
    frame = pd.DataFrame(
        {
            "language": [f"l{i:03d}" for i in range(200)],
            "score": np.random.default_rng(0).random(200),
            "script": ["Latn", "Cyrl", "Arab", "Deva"] * 50,
        }
    )
    figure = plot_ranking(frame, value="score", label="language", color_by="script")
    assert figure.get_size_inches()[1] > 30
    (ax,) = figure.axes
    labels = [t.get_text() for t in ax.get_yticklabels()]
    order = frame.sort_values("score", ascending=False)
    top_down = [labels[i] for i in np.argsort(-np.asarray(ax.get_yticks()))]
    assert top_down == order["language"].tolist()  # every label, best first at the top
    widths = sorted((bar.get_y(), bar.get_width()) for bar in ax.patches)
    np.testing.assert_allclose([w for _, w in widths][::-1], order["score"])
    legend = ax.get_legend()
    assert legend is not None and legend.get_title().get_text() == "script"
    # categories in the order they first appear from the top
    assert [t.get_text() for t in legend.get_texts()] == list(pd.unique(order["script"]))
    colours = {
        t.get_text(): h.get_facecolor()
        for t, h in zip(legend.get_texts(), legend.legend_handles, strict=True)
    }
    for bar, script in zip(
        sorted(ax.patches, key=lambda b: -b.get_y()), order["script"], strict=True
    ):
        assert bar.get_facecolor() == colours[script]  # each bar in its script's colour


def test_missing_columns_name_the_fix() -> None:
    with pytest.raises(
        ValueError, match=r"column\(s\) \['mean', 'lower', 'upper'\] not in the frame"
    ):
        plot_layer_curves(pd.DataFrame({"layer": [0], "language": ["en"], "model": ["m"]}))


def test_png_bytes_have_the_requested_resolution() -> None:
    figure = _figure()
    low, high = figure_to_png_bytes(figure, dpi=50), figure_to_png_bytes(figure, dpi=100)
    width = [struct.unpack(">I", png[16:20])[0] for png in (low, high)]
    assert width[1] == pytest.approx(2 * width[0], abs=2)  # pixel width scales with dpi


@pytest.mark.parametrize(
    ("suffix", "magic"), [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")]
)
def test_save_figure_formats(tmp_path: Path, suffix: str, magic: bytes) -> None:
    path = save_figure(_figure(), tmp_path / "plots" / f"curves{suffix}")
    assert path.read_bytes().startswith(magic)  # the format the suffix asks for
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_save_figure_rejects_unknown_formats(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="use one of"):
        save_figure(_figure(), tmp_path / "curves.jpg")


def test_plots_leave_global_matplotlib_state_alone() -> None:
    import matplotlib

    backend = matplotlib.get_backend()
    family = list(matplotlib.rcParams["font.family"])
    plot_ranking(pd.DataFrame({"x": [1.0], "y": ["a"]}), value="x", label="y")
    assert matplotlib.get_backend() == backend
    assert list(matplotlib.rcParams["font.family"]) == family


def test_cjk_tick_labels_render_with_the_report_fonts() -> None:
    # Regression: tick labels are created at draw time, outside the plotting function's font
    # context, and a matplotlib font cache built before the CJK fonts were installed hid them;
    # the demo's generation view drew the token 书 as a box.
    import warnings

    from matplotlib import font_manager

    if not any("NotoSansCJK" in Path(f).name for f in font_manager.findSystemFonts()):
        pytest.skip("no Noto Sans CJK font installed (make fonts)")
    frame = pd.DataFrame(
        {"token": ["书", "本", "书", "本"], "layer": [0, 0, 1, 1], "p": [0.1, 0.2, 0.3, 0.4]}
    )
    figure = plot_heatmap(frame, row="layer", col="token", value="p")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        figure_to_png_bytes(figure)  # draws the tick labels under the report fonts
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == ["书", "本"]
