"""One colour per meaning across figures (issue 20): read the colours the figures really
drew, per legend label, and check that a role, a method or a script never changes colour;
legends never read ``shared (shared)``; an empty panel says why in words."""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
import pandas as pd
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from babelscope.analyses.latent.result import LatentResult, PairRun
from babelscope.plotting import plot_layer_curves, plot_ranking, plot_scatter
from babelscope.plotting.colors import METHOD_COLORS, ROLE_COLORS, SCRIPT_COLORS
from babelscope.plotting.steering import plot_pareto

_SUFFIX = re.compile(r"^(?P<name>.+) \((?P<meaning>[^()]+)\)$")


def _legend_colours(figure: Figure) -> list[tuple[str, str]]:
    """``(label, colour)`` of every legend entry of ``figure`` as drawn."""
    legends = [*figure.legends, *(ax.get_legend() for ax in figure.axes if ax.get_legend())]
    found = []
    for legend in legends:
        for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True):
            if hasattr(handle, "get_color") and not hasattr(handle, "get_facecolor"):
                colour = handle.get_color()
            else:
                colours = handle.get_facecolor()
                if np.size(colours) == 0:  # a ring (the chosen settings): no fill, no meaning
                    continue
                colour = colours[0] if np.ndim(colours) == 2 else colours
            found.append((text.get_text(), to_hex(colour)))
    return found


def _meaning(label: str) -> str:
    match = _SUFFIX.match(label)
    return match.group("meaning") if match else label


def _run(model: str, mass: np.ndarray, *, kept: bool = True) -> PairRun:
    n = 2
    prompts = pd.DataFrame(
        {
            "prompt_id": range(n),
            "task": "translation",
            "source": "fra_Latn",
            "target": "kor_Hang",
            "concept": "x",
            "query": "q",
            "text": "t",
            "answers": [{"kor_Hang": ["책"]}] * n,
            "status": "kept" if kept else "dropped: no prefix tokens for kor_Hang",
            "n_target_tokens": 1,
            "correct": True,
        }
    )
    count = mass.shape[0]
    return PairRun(
        model=model,
        task="translation",
        source="fra_Latn",
        target="kor_Hang",
        languages=["kor_Hang", "fra_Latn", "eng_Latn"],
        layers=[0, 1, 2],
        n_layers=2,
        vocab_size=256,
        mass=mass,
        entropy_bits=np.full(mass.shape[:2], 8.0, dtype=np.float32),
        correct=np.ones(count, dtype=bool),
        prompt_ids=list(range(count)),
        prompts=prompts,
    )


def _latent() -> LatentResult:
    rng = np.random.default_rng(0)
    full = _run("gemma", rng.uniform(0, 0.3, size=(2, 3, 3)).astype(np.float32))
    empty = _run("smollm2", np.zeros((0, 3, 3), dtype=np.float32), kept=False)
    return LatentResult(runs=[full, empty], models={"gemma": {}, "smollm2": {}})


def _figures() -> list[Figure]:
    roles = pd.DataFrame(
        [
            ("m", role, layer, 0.1 * layer, 0.0, 0.3)
            for role in ("target", "English", "copy", "shared")
            for layer in range(3)
        ],
        columns=["model", "role", "layer", "mean", "lower", "upper"],
    )
    overview = plot_layer_curves(roles, hue="role")
    pareto = pd.DataFrame(
        {
            "method": ["none", "prompting", "diffmean", "lape", "gact"],
            "lfs": [0.0, 0.5, 0.9, 0.3, 0.6],
            "chrf": [10.0, 40.0, 30.0, 45.0, 20.0],
            "chosen": [False, False, True, True, False],
        }
    )
    languages = pd.DataFrame(
        {
            "language": [f"l{i}" for i in range(12)],
            "score": np.linspace(1, 0, 12),
            "other score": np.linspace(0, 1, 12),
            "script": ["Latn", "Cyrl", "Arab", "Deva"] * 3,
        }
    )
    ranked = plot_ranking(languages, value="score", label="language", color_by="script")
    reversed_order = languages.iloc[::-1]  # another order of appearance, same colours
    scatter = plot_scatter(
        reversed_order, x="score", y="other score", label="language", color_by="script"
    )
    return [overview, _latent().plot("pair"), plot_pareto(pareto), ranked, scatter]


def test_one_colour_per_role_method_and_script_across_figures() -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    figures_of: dict[str, int] = defaultdict(int)
    for figure in _figures():
        for label, colour in _legend_colours(figure):
            seen[_meaning(label)].add(colour)
            figures_of[_meaning(label)] += 1
    for meaning in ("target", "copy", "English", "shared"):
        assert figures_of[meaning] >= 2, f"{meaning} should be in two figures to compare"
    assert {m: c for m, c in seen.items() if len(c) > 1} == {}
    expected = {**ROLE_COLORS, **SCRIPT_COLORS}
    expected.update({"diffmean": METHOD_COLORS["DiffMean"], "lape": METHOD_COLORS["LAPE"]})
    expected.update({"gact": METHOD_COLORS["G-ACT"], "none": METHOD_COLORS["none"]})
    for meaning, colours in seen.items():
        if meaning in expected:
            assert colours == {expected[meaning]}, meaning
    assert len({next(iter(seen[m])) for m in ("target", "copy", "English", "shared")}) == 4


def test_legends_never_repeat_a_bucket_as_its_own_role() -> None:
    labels = [label for label, _ in _legend_colours(_latent().plot("pair"))]
    assert "shared" in labels and "shared (shared)" not in labels
    assert "fra_Latn (copy)" in labels and "kor_Hang (target)" in labels


def test_an_empty_panel_says_why() -> None:
    figure = _latent().plot("pair")
    panels = {ax.get_title(): ax for ax in figure.axes if ax.get_visible()}
    assert set(panels) == {"gemma", "smollm2"}
    said = " ".join(t.get_text() for t in panels["smollm2"].texts).replace("\n", " ")
    assert said == "0 of 2 prompts measurable: no prefix tokens for kor_Hang"
    assert len(panels["gemma"].texts) == 0 and len(panels["gemma"].get_lines()) == 4


def test_pair_captions_keep_the_underscores_of_language_codes() -> None:
    from babelscope.report.html import Report
    from babelscope.report.sections.latent import add_latent_sections

    report = Report("t")
    add_latent_sections(report, _latent())
    pairs = report["latent-pairs"]
    captions = [block.caption for block in pairs.blocks if hasattr(block, "caption")]
    assert captions == ["translation: `fra_Latn` → `kor_Hang`"]
