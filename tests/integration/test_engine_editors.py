"""The forward engine's editors on tiny models: identities, KV-cache parity, padding, scoping."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from babelscope import wrap_model
from babelscope.capture import AddVector, PatchState, ScaleNeurons, capture, edit
from babelscope.models.handle import ModelHandle

from tiny_models import build_tiny, tiny_tokenizer

pytestmark = pytest.mark.integration

FAMILIES = ["llama", "gemma2", "gemma3", "gpt2", "bloom", "gpt_neox"]
# families whose MLP down projection has no bias: zero neurons = zero MLP output
BIAS_FREE = ["llama", "gemma2", "gemma3_text", "qwen3", "phi3", "olmo2"]
TEXTS = ["hello world", "a much longer sentence, with punctuation: yes.", "xyz", "the cat sat"]
PROMPTS = ["hello wor", "the cat sat on the", "xy"]


def _handle(family: str) -> ModelHandle:
    return wrap_model(build_tiny(family), tiny_tokenizer(), name=family)


@pytest.fixture(scope="module", params=FAMILIES)
def handle(request: pytest.FixtureRequest) -> ModelHandle:
    return _handle(request.param)


def _vector(handle: ModelHandle, seed: int = 1, scale: float = 3.0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(handle.hidden_size, generator=gen) * scale


def _last_states(handle: ModelHandle, editors: list[Any], **kw: Any) -> torch.Tensor:
    top = handle.n_layers
    return capture(handle, TEXTS, layers=[top], pooling="last", editors=editors, **kw).pooled[top]


def _generate(
    handle: ModelHandle, prompts: list[str], editors: list[Any], *, use_cache: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Greedy tokens ``[B, 6]`` and their logits ``[B, 6, V]``, prompts left-padded."""
    enc = handle.tokenizer(prompts, return_tensors="pt", padding=True, padding_side="left")
    with torch.no_grad(), edit(handle, editors):
        out = handle.model.generate(  # type: ignore[operator]
            **enc,
            max_new_tokens=6,
            do_sample=False,
            pad_token_id=0,
            use_cache=use_cache,
            return_dict_in_generate=True,
            output_logits=True,
        )
    width = enc["input_ids"].shape[1]
    return out.sequences[:, width:], torch.stack(out.logits, dim=1)


def _hook_count(module: torch.nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in module.modules())


def test_zero_vector_and_own_state_patch_are_exact_identities(handle: ModelHandle) -> None:
    base = _last_states(handle, [])
    for layer in (0, 1, handle.n_layers):
        same = _last_states(handle, [AddVector(layer, _vector(handle), alpha=0.0)])
        assert torch.equal(same, base)
    # the state of layer 1 at each text's last position, patched back into the same rows
    own = capture(handle, TEXTS, layers=[1], pooling="last").pooled[1]
    patch = PatchState(1, rows=range(len(TEXTS)), position=-1, value=own)
    assert torch.equal(_last_states(handle, [patch]), base)
    # and a non-zero vector does change the states (the identity above can fail)
    moved = _last_states(handle, [AddVector(1, _vector(handle))])
    assert not torch.allclose(moved, base, atol=1e-3)


def test_identities_hold_under_generate_with_a_kv_cache(handle: ModelHandle) -> None:
    tokens, logits = _generate(handle, PROMPTS, [])
    editors: list[Any] = [AddVector(2, _vector(handle), alpha=0.0, positions="all")]
    same_tokens, same_logits = _generate(handle, PROMPTS, editors)
    assert torch.equal(same_tokens, tokens) and torch.equal(same_logits, logits)
    if handle.arch.mlp_down is not None:
        scaled = _generate(handle, PROMPTS, [ScaleNeurons(1, range(8), factor=1.0)])
        assert torch.equal(scaled[1], logits)


def test_patch_with_own_state_is_identity_in_generate(handle: ModelHandle) -> None:
    enc = handle.tokenizer(PROMPTS, return_tensors="pt", padding=True, padding_side="left")
    own = capture(handle, PROMPTS, layers=[2], pooling="last").pooled[2]  # unpadded, per row
    tokens, logits = _generate(handle, PROMPTS, [])
    patch = PatchState(2, rows=range(len(PROMPTS)), position=-1, value=own)
    patched_tokens, patched_logits = _generate(handle, PROMPTS, [patch])
    assert torch.equal(patched_tokens, tokens)
    assert enc["attention_mask"][:, 0].min() == 0  # the batch really is left-padded
    torch.testing.assert_close(patched_logits, logits, atol=1e-5, rtol=0)


@pytest.mark.parametrize("positions", ["all", "generated", -2])
def test_kv_cache_generation_equals_recomputation(handle: ModelHandle, positions: Any) -> None:
    editors: list[Any] = [AddVector(1, _vector(handle, scale=6.0), positions=positions)]
    cached, cached_logits = _generate(handle, PROMPTS, editors, use_cache=True)
    full, full_logits = _generate(handle, PROMPTS, editors, use_cache=False)
    assert torch.equal(cached, full)
    torch.testing.assert_close(cached_logits, full_logits, atol=1e-4, rtol=1e-4)
    plain_logits = _generate(handle, PROMPTS, [])[1]
    assert not torch.allclose(cached_logits, plain_logits, atol=1e-3)  # steering did something


def test_generated_positions_leave_the_prompt_alone(handle: ModelHandle) -> None:
    editors: list[Any] = [AddVector(1, _vector(handle, scale=6.0), positions="generated")]
    plain_logits = _generate(handle, PROMPTS, [])[1]
    steered_logits = _generate(handle, PROMPTS, editors)[1]
    # the first new token comes from the prompt's last position: untouched
    torch.testing.assert_close(steered_logits[:, 0], plain_logits[:, 0], atol=1e-5, rtol=0)
    assert not torch.allclose(steered_logits[:, 1:], plain_logits[:, 1:], atol=1e-3)
    # in a plain forward nothing is generated: an identity
    assert torch.equal(_last_states(handle, editors), _last_states(handle, []))


@pytest.mark.parametrize("side", ["left", "right"])
def test_padding_under_editors_matches_unbatched(handle: ModelHandle, side: str) -> None:
    values = torch.stack([_vector(handle, seed=s) for s in range(2)])
    editors: list[Any] = [
        AddVector(1, _vector(handle), positions=slice(1, 4)),
        AddVector(2, _vector(handle, seed=3), positions=-2),
        PatchState(1, rows=[1, 3], position=-1, value=values),
    ]
    if handle.arch.mlp_down is not None:
        editors.append(ScaleNeurons(2, [0, 5, 9], factor=4.0, positions=2))
    one = capture(handle, TEXTS, pooling="none", batch_size=1, editors=editors)
    many = capture(handle, TEXTS, pooling="none", batch_size=4, padding_side=side, editors=editors)  # type: ignore[arg-type]
    for layer in one.layers:
        for a, b in zip(one.tokens[layer], many.tokens[layer], strict=True):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_batched_generation_under_editors_matches_one_prompt_at_a_time(
    handle: ModelHandle,
) -> None:
    editors: list[Any] = [AddVector(2, _vector(handle, scale=4.0), positions="all")]
    batched, batched_logits = _generate(handle, PROMPTS, editors)
    for row, prompt in enumerate(PROMPTS):
        alone, alone_logits = _generate(handle, [prompt], editors)
        assert torch.equal(batched[row], alone[0])
        torch.testing.assert_close(batched_logits[row], alone_logits[0], atol=1e-4, rtol=1e-4)


def test_patch_changes_only_the_patched_row(handle: ModelHandle) -> None:
    base = _last_states(handle, [])
    patch = PatchState(1, rows=[2], position=-1, value=_vector(handle, scale=5.0))
    patched = _last_states(handle, [patch], batch_size=4)
    for row in range(len(TEXTS)):
        if row == 2:
            assert not torch.allclose(patched[row], base[row], atol=1e-3)
        else:
            assert torch.equal(patched[row], base[row])


def test_hooks_are_gone_after_an_exception_inside_edit(handle: ModelHandle) -> None:
    before = _hook_count(handle.model)
    editors: list[Any] = [
        AddVector(0, _vector(handle)),
        AddVector(2, _vector(handle)),
        PatchState(1, rows=[0], position=0, value=_vector(handle)),
    ]
    if handle.arch.mlp_down is not None:
        editors.append(ScaleNeurons(1, [0], factor=0.0))
    with pytest.raises(RuntimeError, match="boom"), edit(handle, editors):
        assert _hook_count(handle.model) == before + len(editors) + 1  # + the step tracker
        raise RuntimeError("boom")
    assert _hook_count(handle.model) == before


@pytest.mark.parametrize("family", BIAS_FREE)
def test_zero_neurons_equal_a_zeroed_mlp(family: str) -> None:
    handle = _handle(family)
    enc = handle.tokenizer(TEXTS[1], return_tensors="pt")
    with torch.no_grad():
        base = handle.model(**enc).logits
        n_neurons = handle.blocks[1].get_submodule(str(handle.arch.mlp_down)).in_features
        with edit(handle, [ScaleNeurons(2, range(n_neurons), factor=1.0)]):
            assert torch.equal(handle.model(**enc).logits, base)
        with edit(handle, [ScaleNeurons(2, range(n_neurons), factor=0.0)]):
            edited = handle.model(**enc).logits
        # manual: the same block's whole MLP returns zeros
        mlp = handle.blocks[1].get_submodule("mlp")
        hook = mlp.register_forward_hook(lambda _m, _a, out: torch.zeros_like(out))
        try:
            manual = handle.model(**enc).logits
        finally:
            hook.remove()
    torch.testing.assert_close(edited, manual, atol=1e-6, rtol=0)
    assert not torch.allclose(edited, base, atol=1e-4)
