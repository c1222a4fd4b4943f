"""The one rule every test uses to compare activations (hidden states, pooled states).

Two cases, told apart by whether the two sides ran the same kernels on the same shapes:

- ``same_shapes=True`` (an unbatched capture against HF's own forward, the final norm applied
  by hand): the arithmetic is the same, so we demand agreement to 1e-5 absolute, rtol 0.
  Measured on an Intel Xeon: bit-identical (difference 0.0) for both bundled models.
- ``same_shapes=False`` (padded batches, other batch sizes, length-sorted batches): matmuls and
  reductions run over other shapes, so float32 sums are accumulated in another order. That error
  is proportional to the magnitudes of the terms summed, not to the element's own value, and
  every layer's terms are bounded by that layer's largest activation. So the tolerance is
  ``atol = C · eps32 · max|expected|`` with ``eps32 = 2^-23 ≈ 1.19e-7`` and ``C = 128``, rtol 0
  (a relative term would only loosen the check on the largest elements, which atol covers).
  Measured worst error, padded (left and right) against unbatched HF, over all layers of the
  three test prompts: 19·eps32·max for smollm2-135m and 2·eps32·max for gemma-3-270m, so C = 128
  leaves a 6.7× margin for other CPUs' kernels. A fixed atol fails here: gemma's activations
  reach 1e5, where one float32 ulp is already 8e-3, while smollm2's first layer stays below 1.
  Real bugs (a leaked pad position, a wrong mask, an off-by-one layer) change elements by the
  order of the activations themselves, orders of magnitude above 1.5e-5·max.
"""

from __future__ import annotations

import torch

FLOAT32_EPS = torch.finfo(torch.float32).eps
REORDER_FACTOR = 128  # C above: how many eps32 of the layer's largest activation we allow
SAME_SHAPES_ATOL = 1e-5


def states_atol(expected: torch.Tensor, *, same_shapes: bool) -> float:
    """The absolute tolerance for comparing activations against ``expected`` (any shape: one
    layer's ``[T, D]`` states of a sequence, or ``[N, D]`` pooled vectors)."""
    if same_shapes:
        return SAME_SHAPES_ATOL
    scale = float(expected.detach().abs().max()) if expected.numel() else 0.0
    return REORDER_FACTOR * FLOAT32_EPS * scale


def assert_states_close(
    actual: torch.Tensor, expected: torch.Tensor, *, same_shapes: bool, msg: str = ""
) -> None:
    """Assert that two tensors of one layer's activations agree (see the module docstring)."""
    atol = states_atol(expected, same_shapes=same_shapes)
    torch.testing.assert_close(
        actual,
        expected,
        atol=atol,
        rtol=0.0,
        msg=lambda default: f"{msg} (atol {atol:.3g}, same_shapes={same_shapes})\n{default}",
    )
