"""How much to put on the device at once: a token budget per batch and a head chunk, sized to
the memory that is free on a GPU.

On a CPU the defaults stay what they always were (4096 tokens per batch, 128 head positions):
they key the activation store (batch composition changes the last bits of pooled states), so
changing them would orphan every existing store. On CUDA a fixed 4096-token batch leaves an
H200 mostly idle, and the 262k-token head of Gemma is ``chunk × 262144 × 4`` bytes of logits
per chunk, so both are derived from ``torch.cuda.mem_get_info`` by the pure functions below
(tested on the CPU with made-up numbers). The results are rounded down to powers of two so
that the same GPU with slightly different free memory picks the same sizes (and the same
store folder) on a resumed run.
"""

from __future__ import annotations

from dataclasses import dataclass

#: CPU defaults (part of every existing store's identity: do not change).
CPU_BATCH_TOKENS = 4096
CPU_HEAD_CHUNK = 128
#: Activation bytes per token and hidden unit during one block, in units of the model dtype:
#: residual, norm output, q/k/v/o (≈4), the MLP's gate, up and activation (≈3 × 4 for the
#: usual 4× intermediate size) and attention scratch: 24 is a generous round figure.
ACTIVATION_FACTOR = 24
#: Fraction of the free memory one batch may use (the rest: allocator fragmentation, cuBLAS
#: workspaces, the pooled outputs kept per row).
USABLE_FRACTION = 0.5
MIN_TOKENS, MAX_TOKENS = 256, 262_144
MIN_CHUNK, MAX_CHUNK = 128, 8192


def _floor_pow2(value: float) -> int:
    n = 1
    while n * 2 <= value:
        n *= 2
    return n


def head_chunk_size(free_bytes: int, vocab_size: int) -> int:
    """Positions decoded at once by the LM head: the float32 logits of a chunk and their
    softmax temporaries (``3 × chunk × V × 4`` bytes) use at most 1/8 of ``free_bytes``.
    Power of two in ``[128, 8192]``."""
    per_position = 3 * vocab_size * 4
    chunk = _floor_pow2(max(1.0, free_bytes / 8 / per_position))
    return max(MIN_CHUNK, min(MAX_CHUNK, chunk))


def token_budget(
    free_bytes: int,
    *,
    hidden_size: int,
    n_layers: int,
    vocab_size: int,
    head_chunk: int,
    dtype_bytes: int = 4,
    states_kept: int = 3,
) -> int:
    """Padded tokens per batch that fit in ``free_bytes`` of device memory.

    Counted per token: one block's activations (:data:`ACTIVATION_FACTOR` × ``hidden_size`` ×
    ``dtype_bytes``; blocks run one after another under ``no_grad``, so only one block's
    temporaries live at a time), the last block's output kept for the head (float32), and the
    pooled states of ``n_layers + 1`` layers × ``states_kept`` poolings (per row; counted per
    token as an upper bound, a row has at least one token). The head chunk's logits
    (``3 × head_chunk × vocab_size × 4``) are set aside first. Power of two in
    ``[256, 262144]``."""
    usable = free_bytes * USABLE_FRACTION - 3 * head_chunk * vocab_size * 4
    per_token = (
        ACTIVATION_FACTOR * hidden_size * dtype_bytes
        + hidden_size * 4
        + (n_layers + 1) * states_kept * hidden_size * 4
    )
    if usable <= per_token * MIN_TOKENS:
        return MIN_TOKENS
    return max(MIN_TOKENS, min(MAX_TOKENS, _floor_pow2(usable / per_token)))


@dataclass(frozen=True)
class BatchPlan:
    """Rows per batch, padded tokens per batch and head positions per chunk."""

    batch_size: int
    max_batch_tokens: int
    head_chunk: int


def plan_for_device(
    free_bytes: int | None,
    *,
    hidden_size: int,
    n_layers: int,
    vocab_size: int,
    dtype_bytes: int,
    batch_size: int = 16,
) -> BatchPlan:
    """The CPU defaults when ``free_bytes`` is None (no GPU), else sizes from free memory;
    on a GPU the row cap grows with the budget (FLORES sentences are ≥ ~16 tokens), so the
    token budget, not the row count, is what fills a batch."""
    if free_bytes is None:
        return BatchPlan(batch_size, CPU_BATCH_TOKENS, CPU_HEAD_CHUNK)
    chunk = head_chunk_size(free_bytes, vocab_size)
    tokens = token_budget(
        free_bytes,
        hidden_size=hidden_size,
        n_layers=n_layers,
        vocab_size=vocab_size,
        head_chunk=chunk,
        dtype_bytes=dtype_bytes,
    )
    return BatchPlan(max(batch_size, tokens // 16), tokens, chunk)
