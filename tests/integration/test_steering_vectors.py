"""Steering vectors and neurons on a tiny model: fits against hand computations, α = 0
identities in generation, the LAPE editor, artefact round trips and the lm-eval export."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import torch

from babelscope import wrap_model
from babelscope.analyses.steering import (
    DiffMean,
    GAct,
    Lape,
    NeuronSteerer,
    Steerer,
    VectorSteerer,
    export_lm_eval,
    load_steerer,
    method_for,
    save_steerer,
)
from babelscope.analyses.steering.activations import mlp_statistics
from babelscope.capture import AddVector, BlendNeurons, capture, edit, iter_sink
from babelscope.capture.engine import ForwardBatch
from babelscope.errors import ConfigError
from babelscope.models.handle import ModelHandle
from state_tolerance import assert_states_close

from tiny_models import build_tiny, tiny_tokenizer

pytestmark = pytest.mark.integration

ALPHABETS = {"fra_Latn": "abcdefgh", "deu_Latn": "ijklmnop", "eng_Latn": "qrstuvwx"}
PROMPTS = ["abc def", "qrs tuv wx", "ij"]
LAYERS = [1, 2, 3]


def _texts(n: int = 12, seed: int = 0) -> dict[str, list[str]]:
    """Parallel "languages": sentence i has the same word lengths in each, letters differ."""
    rng = random.Random(seed)
    shapes = [[rng.randint(2, 5) for _ in range(rng.randint(2, 4))] for _ in range(n)]
    return {
        lang: [" ".join("".join(rng.choice(abc) for _ in range(w)) for w in s) for s in shapes]
        for lang, abc in ALPHABETS.items()
    }


@pytest.fixture(scope="module")
def handle() -> ModelHandle:
    return wrap_model(build_tiny("llama"), tiny_tokenizer(), name="llama")


@pytest.fixture(scope="module")
def steerers(handle: ModelHandle, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Steerer]:
    store = tmp_path_factory.mktemp("store")
    texts = _texts()
    methods: dict[str, Any] = {
        "diffmean": DiffMean(),
        "diffmean_en": method_for("diffmean_en"),
        "lape": Lape(top_rate=0.1, deactivate_others=True),
        "gact": GAct(clusters=2),
    }
    return {
        name: m.fit(handle, texts, target="fra_Latn", layers=LAYERS, store_dir=store)
        for name, m in methods.items()
    }


def _generate(handle: ModelHandle, editors: list[Any]) -> tuple[torch.Tensor, torch.Tensor]:
    enc = handle.tokenizer(PROMPTS, return_tensors="pt", padding=True, padding_side="left")
    with torch.no_grad(), edit(handle, editors):
        out = handle.model.generate(  # type: ignore[operator]
            **enc,
            max_new_tokens=6,
            do_sample=False,
            pad_token_id=0,
            return_dict_in_generate=True,
            output_logits=True,
        )
    return out.sequences, torch.stack(out.logits, dim=1)


def test_diffmean_equals_the_hand_computed_mean_difference(
    steerers: dict[str, Steerer], handle: ModelHandle
) -> None:
    texts = _texts()
    means = {
        lang: capture(handle, lines, layers=LAYERS, pooling="mean").stacked().mean(1)
        for lang, lines in texts.items()
    }
    against_others = means["fra_Latn"] - (means["deu_Latn"] + means["eng_Latn"]) / 2
    against_english = means["fra_Latn"] - means["eng_Latn"]
    for name, expected in (("diffmean", against_others), ("diffmean_en", against_english)):
        steerer = steerers[name]
        assert isinstance(steerer, VectorSteerer) and steerer.layers == tuple(LAYERS)
        for i, layer in enumerate(LAYERS):
            assert_states_close(steerer.vector(layer), expected[i], same_shapes=False)
        assert steerer.default_layer() in LAYERS
    prov = steerers["diffmean"].provenance
    assert prov["pooling"] == "mean" and prov["sentences"] == 12
    assert prov["languages"] == list(ALPHABETS)


@pytest.mark.parametrize("name", ["diffmean", "diffmean_en", "lape", "gact"])
def test_alpha_zero_is_the_identity_in_generation(
    steerers: dict[str, Steerer], handle: ModelHandle, name: str
) -> None:
    steerer = steerers[name]
    tokens, logits = _generate(handle, [])
    for positions in ("all", "generated"):
        editors = steerer.editors(layer=None, alpha=0.0, positions=positions)
        assert editors
        same_tokens, same_logits = _generate(handle, editors)
        assert torch.equal(same_tokens, tokens) and torch.equal(same_logits, logits)
    moved = _generate(handle, steerer.editors(layer=None, alpha=8.0, positions="all"))[1]
    assert not torch.allclose(moved, logits, atol=1e-3)  # the identity above can fail


class _MlpRecorder:
    """Keeps block ``layer``'s MLP activations ``[B, T, I]`` (what the editors left)."""

    def __init__(self, layer: int) -> None:
        self.layers: list[int] = []
        self.mlp_layers = [layer]
        self.acts: torch.Tensor | None = None

    def on_batch_start(self, batch: ForwardBatch) -> None:
        pass

    def __call__(self, layer: int, hidden: torch.Tensor) -> None:
        pass

    def on_mlp(self, layer: int, acts: torch.Tensor, gate: torch.Tensor | None) -> None:
        self.acts = acts.detach().clone()

    def on_batch_end(self, batch: ForwardBatch) -> torch.Tensor:
        assert self.acts is not None
        return self.acts


def _mlp_acts(handle: ModelHandle, editors: list[Any]) -> torch.Tensor:
    results = [acts for _, acts in iter_sink(handle, ["abc de"], _MlpRecorder(2), editors=editors)]
    return results[0][0]  # one text: [T, I]


def test_blend_neurons_moves_planted_neurons_to_their_values(handle: ModelHandle) -> None:
    base = _mlp_acts(handle, [])
    values = torch.tensor([3.0, -2.0])
    full = _mlp_acts(handle, [BlendNeurons(2, [1, 5], values, alpha=1.0)])
    assert torch.equal(full[:, [1, 5]], values.expand(base.shape[0], 2))
    others = [i for i in range(base.shape[1]) if i not in (1, 5)]
    assert torch.equal(full[:, others], base[:, others])
    half = _mlp_acts(handle, [BlendNeurons(2, [1, 5], values, alpha=0.5)])
    torch.testing.assert_close(half[:, [1, 5]], (base[:, [1, 5]] + values) / 2)
    assert torch.equal(_mlp_acts(handle, [BlendNeurons(2, [1, 5], values, alpha=0.0)]), base)
    later = _mlp_acts(handle, [BlendNeurons(2, [1], values[:1], positions=2)])
    tail = base.shape[0] - 2  # positions ≥ 2 only
    assert torch.equal(later[:2], base[:2]) and torch.equal(later[2:, 1], torch.full((tail,), 3.0))


@pytest.mark.parametrize("family", ["llama", "gpt2"])
def test_mlp_statistics_match_a_hand_hook(family: str) -> None:
    """Gated MLP (llama): active = gate_proj output > 0 (SiLU(g) > 0 iff g > 0), as Tang et
    al. count; ungated (gpt2): the down projection's input > 0. Means: the down input."""
    handle = wrap_model(build_tiny(family), tiny_tokenizer(), name=family)
    texts = {"fra_Latn": _texts()["fra_Latn"][:5]}
    stats = mlp_statistics(handle, texts, batch_size=2)
    block = handle.blocks[1]
    down = block.get_submodule(str(handle.arch.mlp_down))
    downs: list[torch.Tensor] = []
    gates: list[torch.Tensor] = []
    hooks = [down.register_forward_pre_hook(lambda _m, args: downs.append(args[0][0, 1:]))]
    if family == "llama":
        gate = block.get_submodule("mlp.gate_proj")
        hooks.append(gate.register_forward_hook(lambda _m, _a, out: gates.append(out[0, 1:])))
    try:
        with torch.no_grad():
            for line in texts["fra_Latn"]:  # one at a time, BOS dropped by hand
                handle.model(**handle.tokenizer(line, return_tensors="pt"))
    finally:
        for hook in hooks:
            hook.remove()
    acts = torch.cat(downs)
    fired = torch.cat(gates) if gates else acts
    assert stats.gated == (family == "llama")
    assert stats.tokens["fra_Latn"] == acts.shape[0]
    expected = (fired > 0).float().mean(0)
    torch.testing.assert_close(stats.prob["fra_Latn"][1], expected, atol=0.02, rtol=0)
    if gates:  # the product's sign is another reading, so the check above can fail
        assert ((acts > 0).float().mean(0) - expected).abs().max() > 0.1
    torch.testing.assert_close(stats.mean["fra_Latn"][1], acts.mean(0), atol=1e-5, rtol=1e-4)


def test_lape_selects_over_every_block_unless_restricted(
    handle: ModelHandle, tmp_path: Path
) -> None:
    texts = _texts()
    free = Lape(top_rate=0.1).fit(handle, texts, target="fra_Latn", layers=[2], store_dir=tmp_path)
    only = Lape(top_rate=0.1, restrict_layers=True).fit(
        handle, texts, target="fra_Latn", layers=[2], store_dir=tmp_path
    )
    assert only.layers == (2,) and len(free.layers) > 1
    assert free.extra["activation_prob"].shape[1] == handle.n_layers
    with pytest.raises(ConfigError, match="cannot fit at layers"):
        Lape(restrict_layers=True).fit(handle, texts, target="fra_Latn", layers=[0])


def test_lape_steerer_sets_its_neurons_to_the_target_mean(
    steerers: dict[str, Steerer], handle: ModelHandle
) -> None:
    lape = steerers["lape"]
    assert isinstance(lape, NeuronSteerer) and lape.default_layer() is None
    assert lape.neurons.shape[0] > 0 and set(lape.layers) <= set(LAYERS)
    layer = lape.layers[0]
    editors = lape.editors(layer=layer, alpha=1.0, positions="all")
    mine = lape.neurons[lape.neurons[:, 0] == layer, 1]
    values = lape.values[lape.neurons[:, 0] == layer]
    acts = next(a for _, a in iter_sink(handle, ["abc de"], _MlpRecorder(layer), editors=editors))
    assert torch.equal(acts[0][:, mine], values.expand(acts.shape[1], -1))
    theirs = lape.others[lape.others[:, 0] == layer, 1]
    assert bool((acts[0][:, theirs] == 0).all())  # deactivate_others at α = 1


def test_save_load_round_trip_is_bit_identical(
    steerers: dict[str, Steerer], handle: ModelHandle, tmp_path: Path
) -> None:
    for name, steerer in steerers.items():
        folder = save_steerer(steerer, tmp_path / name)
        back = load_steerer(folder, handle)
        assert type(back) is type(steerer) and back.method == steerer.method
        assert back.target == steerer.target and back.layers == steerer.layers
        assert back.default_layer() == steerer.default_layer()
        assert back.settings() == steerer.settings() and back.provenance == steerer.provenance
        mine, theirs = steerer.tensors(), back.tensors()
        assert mine.keys() == theirs.keys()
        assert all(torch.equal(mine[k], theirs[k]) for k in mine)
        a = _generate(handle, steerer.editors(layer=None, alpha=2.0))[1]
        assert torch.equal(_generate(handle, back.editors(layer=None, alpha=2.0))[1], a)


def test_loading_onto_another_model_is_refused(
    steerers: dict[str, Steerer], tmp_path: Path
) -> None:
    folder = save_steerer(steerers["diffmean"], tmp_path / "v")
    other = wrap_model(build_tiny("llama", seed=1), tiny_tokenizer(), name="other")
    with pytest.raises(ConfigError, match=r"fitted on model llama.*fit one for this model"):
        load_steerer(folder, other)


def test_unfitted_layer_is_refused(steerers: dict[str, Steerer]) -> None:
    with pytest.raises(ConfigError, match="has no layer 0"):
        steerers["gact"].editors(layer=0, alpha=1.0)


def test_lm_eval_export_adds_the_vector_where_babelscope_does(
    steerers: dict[str, Steerer], handle: ModelHandle, tmp_path: Path
) -> None:
    steerer = steerers["diffmean"]
    assert isinstance(steerer, VectorSteerer)
    path = export_lm_eval(steerer, tmp_path / "fr.pt", handle, layer=2, alpha=1.5)
    config = torch.load(path, weights_only=True)
    assert list(config) == ["layers.1"]  # babelscope layer 2 = output of block index 1
    info = config["layers.1"]
    assert set(info) == {"steering_vector", "steering_coefficient", "action", "bias"}
    assert info["action"] == "add" and info["steering_coefficient"] == 1.5
    assert info["bias"] is None
    assert info["steering_vector"].shape == (1, handle.hidden_size)
    assert torch.equal(info["steering_vector"][0], steerer.vector(2))
    assert (tmp_path / "fr.pt.json").is_file()
    # apply it the way lm-eval's steered model does: a forward hook on the named module
    modules = dict(handle.model.base_model.named_modules())

    def add(_m: Any, _a: Any, out: Any) -> Any:
        shift = info["steering_coefficient"] * info["steering_vector"]
        return (out[0] + shift, *out[1:]) if isinstance(out, tuple) else out + shift

    enc = handle.tokenizer(PROMPTS[1], return_tensors="pt")
    hook = modules["layers.1"].register_forward_hook(add)
    try:
        with torch.no_grad():
            theirs = handle.model(**enc).logits
    finally:
        hook.remove()
    with torch.no_grad(), edit(handle, [AddVector(2, steerer.vector(2), 1.5, positions="all")]):
        ours = handle.model(**enc).logits
    torch.testing.assert_close(theirs, ours, atol=1e-6, rtol=0)
    with pytest.raises(ConfigError, match="edits MLP neurons"):
        export_lm_eval(steerers["lape"], tmp_path / "x.pt", handle)
    with pytest.raises(ConfigError, match=r"no layer 0|no block output"):
        export_lm_eval(steerer, tmp_path / "y.pt", handle, layer=0)


def test_mlp_hooks_are_removed_after_an_error_and_bad_layers_refused(handle: ModelHandle) -> None:
    def hooks() -> int:
        return sum(
            len(m._forward_hooks) + len(m._forward_pre_hooks) for m in handle.model.modules()
        )

    before = hooks()

    class Boom(_MlpRecorder):
        def on_mlp(self, layer: int, acts: torch.Tensor, gate: torch.Tensor | None) -> None:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        list(iter_sink(handle, ["abc"], Boom(2)))
    assert hooks() == before
    with pytest.raises(ConfigError, match="MLP layers"):
        list(iter_sink(handle, ["abc"], _MlpRecorder(0)))


@pytest.mark.parametrize("positions", ["all", "generated"])
def test_blend_neurons_in_generation_cache_and_padding(handle: ModelHandle, positions: Any) -> None:
    """Like the other editors: a KV-cached run equals full recomputation, and a left-padded
    batch equals each prompt alone."""
    editors: list[Any] = [
        BlendNeurons(2, [0, 3, 7], torch.tensor([2.0, -3.0, 1.5]), alpha=1.0, positions=positions)
    ]
    enc = handle.tokenizer(PROMPTS, return_tensors="pt", padding=True, padding_side="left")

    def run(prompts: list[str], use_cache: bool) -> tuple[torch.Tensor, torch.Tensor]:
        batch = handle.tokenizer(prompts, return_tensors="pt", padding=True, padding_side="left")
        with torch.no_grad(), edit(handle, editors):
            out = handle.model.generate(  # type: ignore[operator]
                **batch,
                max_new_tokens=5,
                do_sample=False,
                pad_token_id=0,
                use_cache=use_cache,
                return_dict_in_generate=True,
                output_logits=True,
            )
        return out.sequences[:, batch["input_ids"].shape[1] :], torch.stack(out.logits, 1)

    cached, cached_logits = run(PROMPTS, True)
    full, full_logits = run(PROMPTS, False)
    assert torch.equal(cached, full)
    torch.testing.assert_close(cached_logits, full_logits, atol=1e-4, rtol=1e-4)
    assert enc["attention_mask"][:, 0].min() == 0  # the batch really is left-padded
    for row, prompt in enumerate(PROMPTS):
        alone, alone_logits = run([prompt], True)
        assert torch.equal(alone[0], cached[row])
        torch.testing.assert_close(alone_logits[0], cached_logits[row], atol=1e-4, rtol=1e-4)
    plain = _generate(handle, [])[1][:, :5]
    assert not torch.allclose(cached_logits, plain, atol=1e-3)  # the edit did something
