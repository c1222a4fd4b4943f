"""``Unembed.logits_for_rows``: the logits of some vocabulary rows, equal bit for bit to the
tuned lens's former hand-written copy (final norm, head rows, softcap) and to the columns of
the full logits; softcapping (Gemma 2's 30.0) applied in the one place."""

from __future__ import annotations

import pytest
import torch

from babelscope import wrap_model
from babelscope.lens.unembed import Unembed
from babelscope.models.handle import ModelHandle

from tiny_models import build_tiny, tiny_tokenizer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=["llama", "gemma2", "gpt2"])
def handle(request: pytest.FixtureRequest) -> ModelHandle:
    return wrap_model(build_tiny(request.param), tiny_tokenizer(), name=request.param)


def _old_logits_for(
    unembed: Unembed, hidden: torch.Tensor, token_ids: torch.Tensor
) -> torch.Tensor:
    """``lens/divergence.py: logits_for`` as it was before the softcap moved into Unembed."""
    normed = unembed.norm(hidden)
    weight = unembed.head.weight[token_ids]  # type: ignore[index]
    bias = getattr(unembed.head, "bias", None)
    logits = normed.float() @ weight.float().T
    if bias is not None:
        logits = logits + bias[token_ids].float()
    if unembed.softcap:
        logits = torch.tanh(logits / unembed.softcap) * unembed.softcap
    return logits


def _inputs(handle: ModelHandle) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    # large states so Gemma 2's softcap saturates some logits (it must matter to be tested)
    hidden = torch.randn(13, handle.hidden_size, generator=gen) * 40.0
    rows = torch.randperm(handle.model.config.vocab_size, generator=gen)[:17]
    return hidden, rows


@pytest.mark.parametrize("dtype", [None, "bfloat16"])
def test_rows_equal_the_former_computation_bit_for_bit(
    handle: ModelHandle, dtype: str | None
) -> None:
    unembed = Unembed(handle, dtype=dtype)
    hidden, rows = _inputs(handle)
    with torch.no_grad():
        got = unembed.logits_for_rows(hidden, rows)
        assert got.dtype == torch.float32 and got.shape == (13, 17)
        assert torch.equal(got, _old_logits_for(unembed, hidden, rows))


def test_rows_are_the_columns_of_the_full_logits(handle: ModelHandle) -> None:
    unembed = Unembed(handle)
    hidden, rows = _inputs(handle)
    with torch.no_grad():
        full = unembed(hidden)
        got = unembed.logits_for_rows(hidden, rows)
        chunked = unembed.logits_for_rows(hidden, rows, chunk=4)
    torch.testing.assert_close(got, full[:, rows], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(chunked, got, rtol=1e-6, atol=1e-6)
    if handle.softcap:  # the cap is applied: saturated logits sit just below it
        assert float(full.abs().max()) <= handle.softcap
        assert float(got.abs().max()) > 0.5 * handle.softcap


def test_rows_are_differentiable_in_the_states(handle: ModelHandle) -> None:
    unembed = Unembed(handle)
    hidden, rows = _inputs(handle)
    hidden.requires_grad_(True)
    unembed.logits_for_rows(hidden, rows).sum().backward()
    assert hidden.grad is not None and bool(hidden.grad.abs().sum() > 0)
