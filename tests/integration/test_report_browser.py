"""A real report rendered by headless Chromium: sections present, title right, no errors.

The negative controls matter as much as the positive test: they prove the check *can* fail
(a JavaScript error, a ``console.error``, an executed ``alert``, a network fetch, a script
smuggled past our escaping into a report) so that "no console errors" means something.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from babelscope.plotting import plot_entropy, plot_layer_curves, plot_ranking
from babelscope.report.blocks import PNG_SIGNATURE
from babelscope.report.browser import (
    BrowserCheck,
    ChromiumNotFoundError,
    check_in_chromium,
    find_chromium,
)
from babelscope.report.html import Report

try:
    CHROMIUM: str | None = find_chromium()
except ChromiumNotFoundError:
    CHROMIUM = None

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium at /usr/bin/chromium or on PATH (apt-get install chromium)",
    ),
]

TITLE = "Latent language: gemma vs smollm2 <&>"
MALICIOUS = [
    "<script>alert(1)</script>",
    "</td><td>",
    "&amp;",
    "▁<s>",
    "<img src=x onerror=alert(2)>",
]
SECTIONS = ["latent", "tokens", "compare", "ranking", "provenance"]


def _curves() -> pd.DataFrame:
    rows = []
    for model, depth in (("gemma-3-270m", 18), ("smollm2-135m", 30)):
        for language, peak in (("target", 1.0), ("English", 0.5), ("source", 0.1)):
            for layer in range(depth):
                mean = peak * (layer / (depth - 1)) ** 2
                rows.append((model, language, layer, mean, max(0, mean - 0.05), mean + 0.05))
    return pd.DataFrame(rows, columns=["model", "language", "layer", "mean", "lower", "upper"])


def _build_report(path: Path) -> Path:
    curves = _curves()
    report = Report(TITLE, subtitle="Synthetic data, *two* models")
    latent = report.add_section("latent", "Latent language per layer")
    latent.add_text("Probability of **English** vs the *target* language, per layer.")
    figure = plot_layer_curves(curves, title="P(language) per layer")
    entropy = curves.drop_duplicates(["model", "layer"]).assign(
        entropy=lambda f: 9 - f["layer"] / 4
    )
    latent.add_figure(plot_entropy(entropy, on=figure), "Mean probability with 95% intervals.")
    latent.add_metrics({"english_peak": 0.5, "prompts": 1200}, primary="english_peak")

    tokens = report.add_section("tokens", "Top tokens")
    tokens.add_table(
        pd.DataFrame({"token": MALICIOUS, "probability": np.linspace(0.4, 0.05, len(MALICIOUS))}),
        "Tokens straight from a vocabulary, <script> and all.",
    )

    gemma, smol = report.add_section("compare", "Models side by side").add_side_by_side(
        ["gemma-3-270m", "smollm2-135m"]
    )
    for column, model in ((gemma, "gemma-3-270m"), (smol, "smollm2-135m")):
        column.add_figure(
            plot_layer_curves(curves[curves["model"] == model], facet=None), f"{model} alone"
        )
        column.add_key_values({"layers": int(curves[curves["model"] == model]["layer"].max()) + 1})

    languages = pd.DataFrame(
        {
            "language": [f"lang{i:03d}" for i in range(200)],
            "score": np.random.default_rng(0).random(200),
            "script": ["Latn", "Cyrl", "Arab", "Deva", "Hans"] * 40,
        }
    )
    report.add_section("ranking", "Ranking of 200 languages").add_figure(
        plot_ranking(languages, value="score", label="language", color_by="script"),
        "Languages ranked by score, coloured by script.",
    )
    report.add_provenance(
        {"model": {"id": "google/gemma-3-270m", "sha256": "0123456789abcdef" * 4}, "seed": 0}
    )
    return report.write(path)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> BrowserCheck:
    folder = tmp_path_factory.mktemp("report")
    return check_in_chromium(_build_report(folder / "report.html"), screenshot=True)


def test_report_renders_cleanly(rendered: BrowserCheck) -> None:
    assert rendered.console_errors == []
    assert rendered.external_requests == []
    assert rendered.broken_images == []
    assert rendered.dialogs == []  # no token's <script>alert(1)</script> ever ran
    assert rendered.ok


def test_report_has_title_and_sections(rendered: BrowserCheck) -> None:
    assert rendered.title == TITLE
    assert rendered.section_ids == SECTIONS


def test_screenshot_is_a_full_page_png(rendered: BrowserCheck, tmp_path: Path) -> None:
    assert rendered.screenshot is not None
    assert rendered.screenshot.startswith(PNG_SIGNATURE)
    height = int.from_bytes(rendered.screenshot[20:24], "big")
    assert height > 3000  # the whole page, not just the first screen


# -- negative controls: the check can fail ------------------------------------------------------


def _page(tmp_path: Path, body: str, head: str = "") -> Path:
    path = tmp_path / "page.html"
    path.write_text(
        f"<!DOCTYPE html><html><head><title>control</title>{head}</head><body>{body}</body></html>",
        "utf-8",
    )
    return path


def test_a_javascript_error_is_reported(tmp_path: Path) -> None:
    check = check_in_chromium(_page(tmp_path, "<script>notDefined();</script><p>x</p>"))
    assert any("notDefined" in error for error in check.console_errors), check.console_errors
    assert not check.ok


def test_console_error_and_alert_are_reported(tmp_path: Path) -> None:
    body = '<script>console.error("boom"); alert("xss");</script><section data-section id="s">'
    check = check_in_chromium(_page(tmp_path, body))
    assert any("boom" in error for error in check.console_errors), check.console_errors
    assert check.dialogs == ["alert: xss"]
    assert check.section_ids == ["s"]  # the dismissed dialog did not block the page


def test_network_fetches_are_reported(tmp_path: Path) -> None:
    check = check_in_chromium(_page(tmp_path, '<img src="http://192.0.2.1/x.png" alt="remote">'))
    assert check.external_requests == ["http://192.0.2.1/x.png"]
    assert not check.ok


def test_the_report_policy_blocks_a_smuggled_script(tmp_path: Path) -> None:
    """Defence in depth: even raw markup that bypassed escaping cannot run in a report."""
    markup = Report("t").render().replace("<main>", "<main><script>alert('pwned')</script>")
    path = tmp_path / "smuggled.html"
    path.write_text(markup, "utf-8")
    check = check_in_chromium(path)
    assert check.dialogs == []
    assert any("Content Security Policy" in error for error in check.console_errors), (
        check.console_errors
    )


def test_a_missing_browser_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ChromiumNotFoundError, match="does not exist"):
        check_in_chromium(_page(tmp_path, "x"), chromium=tmp_path / "no-such-chromium")


def test_a_hung_page_fails_with_a_clear_error(tmp_path: Path) -> None:
    page = _page(tmp_path, "<script>while (true) {}</script>")
    with pytest.raises(RuntimeError, match=r"load event did not come"):
        check_in_chromium(page, timeout_s=3)
