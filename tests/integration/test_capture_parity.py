"""Capture and lens parity with Hugging Face on tiny random models of every registered family."""

from __future__ import annotations

import pytest
import torch

from babelscope import wrap_model
from babelscope.capture import capture
from babelscope.capture.hooks import StopForward, record_residual
from babelscope.lens.logit_lens import LogitLens, iter_last_position_lens
from state_tolerance import assert_states_close

from tiny_models import ALL_FAMILIES, build_tiny, tiny_tokenizer

pytestmark = pytest.mark.integration

TEXTS = ["hello world", "a much longer sentence, with punctuation: yes.", "xyz", "the cat sat"]


@pytest.fixture(scope="module", params=ALL_FAMILIES)
def handle(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    return wrap_model(build_tiny(request.param), tiny_tokenizer(), name=request.param)


def _hf_hidden_states(handle, text: str) -> tuple[torch.Tensor, ...]:  # type: ignore[no-untyped-def]
    enc = handle.tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        out = handle.model(**enc, output_hidden_states=True)
    return tuple(h[0] for h in out.hidden_states)


def test_captured_states_equal_hf_hidden_states(handle) -> None:  # type: ignore[no-untyped-def]
    result = capture(handle, TEXTS, pooling="none", batch_size=1)
    for i, text in enumerate(TEXTS):
        hf = _hf_hidden_states(handle, text)
        assert len(hf) == handle.n_layers + 1
        for layer in range(handle.n_layers):
            assert_states_close(result.tokens[layer][i], hf[layer], same_shapes=True)
        # HF's last entry is already after the final norm; ours is the raw block output.
        last = result.tokens[handle.n_layers][i]
        assert_states_close(handle.final_norm(last), hf[-1], same_shapes=True)
        assert not torch.allclose(last, hf[-1], atol=1e-3)


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("pooling", ["none", "last", "mean", "weighted_mean"])
def test_batched_equals_unbatched(handle, side: str, pooling: str) -> None:  # type: ignore[no-untyped-def]
    one = capture(handle, TEXTS, pooling=pooling, batch_size=1)
    many = capture(handle, TEXTS, pooling=pooling, batch_size=4, padding_side=side)
    for layer in one.layers:
        if pooling == "none":
            for a, b in zip(one.tokens[layer], many.tokens[layer], strict=True):
                assert_states_close(b, a, same_shapes=False)
        else:
            assert_states_close(many.pooled[layer], one.pooled[layer], same_shapes=False)


def test_pooling_matches_manual_reduction(handle) -> None:  # type: ignore[no-untyped-def]
    tokens = capture(handle, TEXTS, pooling="none", layers=[1])
    for pooling in ("last", "mean", "weighted_mean"):
        pooled = capture(handle, TEXTS, pooling=pooling, layers=[1], padding_side="left").pooled[1]
        for i, rows in enumerate(tokens.tokens[1]):
            body = rows[1:]  # drop BOS
            if pooling == "last":
                expected = rows[-1]
            elif pooling == "mean":
                expected = body.mean(0)
            else:
                w = torch.arange(1, len(body) + 1, dtype=body.dtype)
                expected = (body * w[:, None]).sum(0) / w.sum()
            assert_states_close(pooled[i], expected, same_shapes=False)


def test_last_layer_lens_reproduces_model_logits(handle) -> None:  # type: ignore[no-untyped-def]
    # Reference: the model's own logits, one unpadded prompt at a time.
    rows = []
    for text in TEXTS:
        with torch.no_grad():
            rows.append(handle.model(**handle.tokenizer(text, return_tensors="pt")).logits[0, -1])
    logits = torch.stack(rows).float()
    (batch,) = list(iter_last_position_lens(handle, TEXTS, layers=[handle.n_layers], batch_size=8))
    got = torch.empty_like(batch.log_probs[:, 0])
    got[batch.indices] = batch.log_probs[:, 0]
    torch.testing.assert_close(got, torch.log_softmax(logits, -1), atol=1e-4, rtol=0)


def test_lens_normalises_each_layer_with_its_own_scale(handle) -> None:  # type: ignore[no-untyped-def]
    states = capture(handle, ["hello world"], pooling="last").pooled
    lens = LogitLens(handle)
    # A norm computed from the layer's own state is scale-invariant (far above its epsilon); a
    # scale cached from another layer (TransformerLens #1076) would scale the logits too.
    torch.testing.assert_close(lens(states[1] * 100.0), lens(states[1] * 700.0), atol=1e-4, rtol=0)
    assert not torch.allclose(lens(states[1] * 100.0), lens(states[2] * 100.0), atol=1e-3)


def test_hooks_are_removed_after_an_exception(handle) -> None:  # type: ignore[no-untyped-def]
    blocks = handle.blocks
    before = [len(b._forward_hooks) + len(b._forward_pre_hooks) for b in blocks]
    with (
        pytest.raises(RuntimeError, match="boom"),
        record_residual(blocks, [0, 1, 2], lambda *_: None),
    ):
        raise RuntimeError("boom")
    after = [len(b._forward_hooks) + len(b._forward_pre_hooks) for b in blocks]
    assert after == before


def test_stop_forward_skips_later_blocks(handle) -> None:  # type: ignore[no-untyped-def]
    calls: list[int] = []
    hook = handle.blocks[-1].register_forward_hook(lambda *_: calls.append(1))
    try:
        capture(handle, ["hello"], layers=[1], pooling="last")
    finally:
        hook.remove()
    assert calls == []
    assert issubclass(StopForward, Exception)
