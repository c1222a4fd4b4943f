"""The README-numbers check itself (no model): the README's anchors are well formed and their
numbers are printed beside them, and a planted wrong number or a drifted anchor fails."""

from __future__ import annotations

import pandas as pd
import pytest

from readme_numbers import ROOT, as_printed, check_anchor, parse_anchors, table_value

README = (ROOT / "README.md").read_text(encoding="utf-8")
TABLES = {
    "latent.parquet",
    "latent_summary.parquet",
    "latent_roles.parquet",
    "patching_summary.parquet",
}


def test_every_readme_anchor_is_well_formed_and_printed() -> None:
    anchors = parse_anchors(README)
    assert len(anchors) >= 20
    for anchor in anchors:
        assert anchor.command == "babelscope demo", anchor
        assert anchor.table in TABLES, anchor
        problem = check_anchor(anchor, lambda _table: pd.DataFrame())
        # With an empty table only the lookup may fail, never the printed-in-context check.
        assert problem is not None and "not in the text" not in problem, problem


FRAME = pd.DataFrame(
    {
        "model": ["m", "m", "m"],
        "source": ["fra_Latn", "deu_Latn", "spa_Latn"],
        "accuracy": [0.1, 0.225, 0.0],
        "layer": [3, 5, 7],
        "mean": [0.0244, 0.0251, 0.01],
    }
)


def _one(text: str) -> str | None:
    (anchor,) = parse_anchors("<!-- numbers from: babelscope demo -->\n" + text)
    return check_anchor(anchor, lambda _table: FRAME)


def test_a_right_number_passes() -> None:
    assert _one("10% <!-- = 10% t.parquet model=m source=fra_Latn column=accuracy -->") is None
    assert _one("peak 0.025 <!-- = 0.025 t.parquet model=m column=mean agg=max -->") is None
    assert _one("block 5 <!-- = 5 t.parquet model=m column=mean agg=argmax:layer -->") is None
    assert _one("0% to 22% <!-- = 22% t.parquet column=accuracy agg=max -->") is None
    assert _one("3 pairs <!-- = 3 t.parquet model=m column=source agg=count -->") is None


def test_a_planted_wrong_number_fails() -> None:
    problem = _one("23% <!-- = 23% t.parquet model=m source=deu_Latn column=accuracy -->")
    assert problem is not None and "the table gives 0.225" in problem and "printed 22%" in problem
    assert _one("peak 0.02 <!-- = 0.02 t.parquet model=m column=mean agg=max -->") is not None


def test_an_anchor_must_sit_beside_its_number() -> None:
    problem = _one("peak 0.026 <!-- = 0.025 t.parquet model=m column=mean agg=max -->")
    assert problem is not None and "is not in the text" in problem
    # 0.02 is not "printed" inside 0.025.
    assert _one("peak 0.025 <!-- = 0.02 t.parquet model=m column=mean agg=max -->") is not None


def test_ambiguous_or_empty_selections_fail() -> None:
    assert "3 rows match" in str(_one("0.1 <!-- = 0.1 t.parquet model=m column=accuracy -->"))
    assert "no row" in str(_one("0.1 <!-- = 0.1 t.parquet model=x column=accuracy agg=max -->"))
    assert "no column" in str(_one("0.1 <!-- = 0.1 t.parquet colour=m column=accuracy -->"))


@pytest.mark.parametrize(
    ("value", "printed", "shown"),
    [
        (0.1069, "10.7%", "10.7%"),
        (0.0254, "0.025", "0.025"),
        (0.5449, "0.54", "0.54"),
        (-0.0001, "0.00", "0.00"),
        (13.0, "13", "13"),
        (0.995, "100%", "100%"),
    ],
)
def test_rounding_as_printed(value: float, printed: str, shown: str) -> None:
    assert as_printed(value, printed) == shown


def test_table_value_argmin() -> None:
    (anchor,) = parse_anchors("x <!-- = 7 t.parquet column=accuracy agg=argmin:layer -->")
    assert table_value(FRAME, anchor) == 7.0
