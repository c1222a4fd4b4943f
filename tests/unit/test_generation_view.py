"""A generation view saved as a table (``GenerationView.to_frame``) rebuilds an equal view."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from babelscope.analyses.latent.generation import GenerationView
from babelscope.errors import DataError


def _view() -> GenerationView:
    dist = np.random.default_rng(0).dirichlet(np.ones(4), size=(3, 5)).astype(np.float32)
    return GenerationView(
        model="tiny",
        prompt='Français: "fleur" - 中文: "',
        tokens=["花", " $x", "\n"],
        layers=[0, 2, 4, 6, 8],
        languages=["eng_Latn", "fra_Latn", "zho_Hans", "other"],
        dist=dist,
    )


def test_round_trip_through_the_table() -> None:
    view = _view()
    frame = view.to_frame()
    assert frame["prompt"].unique().tolist() == [view.prompt]
    back = GenerationView.from_frame(frame)
    pd.testing.assert_frame_equal(back.to_frame(), frame)
    assert (back.model, back.prompt, back.tokens) == (view.model, view.prompt, view.tokens)
    assert back.layers == view.layers and back.languages == view.languages
    np.testing.assert_array_equal(back.dist, view.dist)


def test_old_tables_without_prompt_or_other_rows() -> None:
    view = _view()
    frame = view.to_frame()
    old = frame[frame["language"] != "other"].drop(columns="prompt")
    back = GenerationView.from_frame(old)
    assert back.prompt == ""
    assert back.languages == view.languages  # "other" comes back as the last slot
    # The named languages are exact; "other" is the rest of the mass, clip(1 - sum, 0, 1).
    np.testing.assert_array_equal(back.dist[..., :3], view.dist[..., :3])
    np.testing.assert_allclose(back.dist[..., 3], view.dist[..., 3], atol=1e-6)
    assert (back.to_frame()["dominant"] == frame["dominant"]).all()


def test_a_foreign_table_is_a_data_error() -> None:
    with pytest.raises(DataError, match="generation-view table"):
        GenerationView.from_frame(pd.DataFrame({"model": ["m"], "step": [0]}))
    frame = _view().to_frame()
    with pytest.raises(DataError, match="missing"):
        GenerationView.from_frame(frame.iloc[1:])
