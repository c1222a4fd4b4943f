"""The forward engine's sinks, the one Unembed and the Lens interface on tiny models."""

from __future__ import annotations

import math

import pytest
import torch

from babelscope import wrap_model
from babelscope.capture import ForwardOptions, LastPositionSink, PoolSink, capture, iter_forward
from babelscope.collect import ForwardSpec, forward_texts
from babelscope.lens import Lens, LogitLens, Unembed, iter_last_position_lens, top_tokens
from babelscope.models.handle import ModelHandle

from tiny_models import build_tiny, tiny_tokenizer

pytestmark = pytest.mark.integration

TEXTS = ["hello world", "a much longer sentence, with punctuation: yes.", "xyz", "the cat sat"]


@pytest.fixture(scope="module", params=["llama", "gemma2", "gpt2", "gemma3"])
def handle(request: pytest.FixtureRequest) -> ModelHandle:
    return wrap_model(build_tiny(request.param), tiny_tokenizer(), name=request.param)


def test_ranking_bits_equal_the_lens_log_probs(handle: ModelHandle) -> None:
    """bits per byte's numerator and the logit lens decode through the same Unembed."""
    spec = ForwardSpec(layers=(1,), batch_size=3, head_chunk=5)
    bits = forward_texts(handle, TEXTS, spec, text_metrics=True)["nll_bits"]
    top = handle.n_layers
    states = capture(handle, TEXTS, layers=[top], pooling="none", batch_size=1).tokens[top]
    lens = LogitLens(handle)
    for i, text in enumerate(TEXTS):
        ids = torch.tensor(handle.tokenizer(text)["input_ids"])
        with torch.no_grad():
            log_probs = lens.log_probs(states[i], top)  # [T, V]
        picked = log_probs[:-1].gather(1, ids[1:, None]).squeeze(1)
        expected = -picked.double().sum().item() / math.log(2)
        assert bits[i].item() == pytest.approx(expected, rel=1e-5)


def test_two_sinks_share_one_pass_that_stops_at_the_deepest_layer(handle: ModelHandle) -> None:
    calls: list[int] = []
    hook = handle.blocks[-1].register_forward_hook(lambda *_: calls.append(1))
    mean, last = PoolSink([0, 1], "mean", bos_id=1), LastPositionSink([2])
    seen: dict[str, dict[int, torch.Tensor]] = {"mean": {}, "last": {}}
    try:
        batches = iter_forward(handle, TEXTS, [mean, last], options=ForwardOptions(batch_size=3))
        for batch, (pooled, stacked) in batches:
            assert sorted(pooled) == [0, 1] and stacked.shape[1] == 1
            for row, index in enumerate(batch.indices):
                seen["mean"][index] = pooled[1][row]
                seen["last"][index] = stacked[row, 0]
    finally:
        hook.remove()
    assert calls == []  # block 3 never ran: nothing needed it
    reference = capture(handle, TEXTS, layers=[1, 2], pooling="mean", batch_size=1).pooled[1]
    last_ref = capture(handle, TEXTS, layers=[2], pooling="last", batch_size=1).pooled[2]
    for i in range(len(TEXTS)):
        torch.testing.assert_close(seen["mean"][i], reference[i], atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(seen["last"][i], last_ref[i], atol=1e-5, rtol=1e-4)


def test_token_id_lists_are_fed_as_given(handle: ModelHandle) -> None:
    ids = [handle.tokenizer(text)["input_ids"] for text in TEXTS]
    from_texts = capture(handle, TEXTS, pooling="weighted_mean").stacked()
    from_ids = capture(handle, ids, pooling="weighted_mean").stacked()
    assert torch.equal(from_ids, from_texts)
    # without BOS the states differ: the ids really are what is fed
    bare = capture(handle, [row[1:] for row in ids], pooling="weighted_mean").stacked()
    assert not torch.allclose(bare, from_texts, atol=1e-3)


class _RolledLens(Lens):
    """A stand-in for a tuned lens: a per-layer translator before the shared Unembed."""

    def __init__(self, handle: ModelHandle) -> None:
        super().__init__()
        self.unembed = Unembed(handle)

    def transform_hidden(self, hidden: torch.Tensor, layer: int) -> torch.Tensor:
        # a different map per layer that no norm undoes (norms are shift/scale-invariant)
        return hidden.roll(layer + 1, dims=-1)


def test_a_lens_with_a_translator_plugs_into_the_lens_functions(handle: ModelHandle) -> None:
    custom = _RolledLens(handle)
    (default,) = iter_last_position_lens(handle, TEXTS, batch_size=8)
    (plain,) = iter_last_position_lens(handle, TEXTS, batch_size=8, lens=LogitLens(handle))
    (tuned,) = iter_last_position_lens(handle, TEXTS, batch_size=8, lens=custom)
    assert torch.equal(default.log_probs, plain.log_probs)
    states = capture(handle, TEXTS, layers=[1], pooling="last").pooled[1]
    with torch.no_grad():
        expected = custom.log_probs(states, 1)  # [N, V]
    got = torch.empty_like(expected)
    got[tuned.indices] = tuned.log_probs[:, 1]
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4)
    assert not torch.allclose(tuned.log_probs, default.log_probs, atol=1e-3)
    top = top_tokens(handle, TEXTS[0], lens=custom, k=1)
    assert top.probs[1][0] == pytest.approx(expected[0].exp().max().item(), rel=1e-4)


def test_unembed_chunks_and_dtypes_agree(handle: ModelHandle) -> None:
    hidden = torch.randn(11, handle.hidden_size, generator=torch.Generator().manual_seed(0))
    whole = Unembed(handle).log_probs(hidden)
    chunked = Unembed(handle).log_probs(hidden.reshape(1, 11, -1), chunk=3)[0]
    torch.testing.assert_close(chunked, whole, atol=1e-6, rtol=0)
    targets = torch.arange(11) % handle.vocab_size
    lse, picked = Unembed(handle, chunk=4).logsumexp_and_target(hidden, targets)
    torch.testing.assert_close(
        picked - lse, whole.gather(1, targets[:, None])[:, 0], atol=1e-5, rtol=0
    )
    bf16 = Unembed(handle, dtype="bfloat16").log_probs(hidden)
    assert bf16.dtype == torch.float32
    torch.testing.assert_close(bf16, whole, atol=0.1, rtol=0)
    assert not torch.equal(bf16, whole)
