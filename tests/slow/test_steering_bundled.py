"""Steering fits on a bundled model: 3 FLORES languages × 16 sentences (a smoke of the real
path: store, MLP statistics, probes), α = 0 identity, artefact round trip, lm-eval export."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from babelscope.analyses.steering import export_lm_eval, load_steerer, method_for, save_steerer
from babelscope.capture import edit
from babelscope.data.flores import FloresDataset
from babelscope.models.handle import ModelHandle

pytestmark = pytest.mark.slow

LANGS = ["fra_Latn", "deu_Latn", "eng_Latn"]


@pytest.mark.parametrize("name", ["diffmean", "lape", "gact"])
def test_fit_on_smollm2(smollm2: ModelHandle, shared_data: Path, tmp_path: Path, name: str) -> None:
    flores = FloresDataset.open(shared_data / "flores200_dev.tar.xz")
    texts = {lang: flores.sentences(lang, "dev", 16) for lang in LANGS}
    layers = list(range(1, smollm2.n_layers + 1))
    steerer = method_for(name).fit(
        smollm2, texts, target="fra_Latn", layers=layers, store_dir=tmp_path / "store"
    )
    default = steerer.default_layer()
    if name == "lape":
        assert default is None and len(steerer.layers) > 0
    else:
        assert default is not None and 8 <= default <= 22  # the middle half of 30 blocks
        export_lm_eval(steerer, tmp_path / "v.pt", smollm2)
        assert list(torch.load(tmp_path / "v.pt", weights_only=True)) == [f"layers.{default - 1}"]
    enc = smollm2.tokenizer(["The weather today is"], return_tensors="pt")
    plain = smollm2.model.generate(**enc, max_new_tokens=8, do_sample=False)  # type: ignore[operator]
    with edit(smollm2, steerer.editors(layer=None, alpha=0.0, positions="all")):
        same = smollm2.model.generate(**enc, max_new_tokens=8, do_sample=False)  # type: ignore[operator]
    assert torch.equal(plain, same)
    back = load_steerer(save_steerer(steerer, tmp_path / "artefact"), smollm2)
    mine, theirs = steerer.tensors(), back.tensors()
    assert mine.keys() == theirs.keys()
    assert all(torch.equal(mine[k], theirs[k]) for k in mine)
