"""The language-identity probe of the identity-versus-meaning picture, fast enough for 200
languages at every layer.

Same protocol as :func:`~babelscope.analyses.geometry.language_id_probe_accuracy` — sentences
(not rows) split into train and test with :func:`~babelscope.analyses.geometry.sentence_split`,
features standardised on the training rows, a multinomial logistic regression with an L2
penalty, accuracy on the held-out sentences — and the same objective as scikit-learn's
``LogisticRegression(C=regularization)`` (``C · Σ cross-entropy + ½‖W‖²``). It is solved with
full-batch L-BFGS in torch: with 200 classes × 640 features scikit-learn's L-BFGS-B spends most
of its time in its own bookkeeping (~25 s per layer at 45 languages, minutes at 200), while the
torch solve costs a few matrix products per step.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from babelscope.analyses.geometry import sentence_split
from babelscope.errors import DataError


def language_id_probe(
    states: Mapping[str, torch.Tensor],
    *,
    seed: int = 0,
    test_fraction: float = 0.25,
    regularization: float = 1.0,
    max_iter: int = 100,
) -> float:
    """Held-out accuracy of a language classifier on ``states`` (``{language: [N, D]}``, row
    *i* = sentence *i* in every language). Chance is 1 / len(states)."""
    if len(states) < 2:
        raise DataError(f"a language-ID probe needs ≥ 2 languages, got {len(states)}")
    matrices = [torch.as_tensor(m).detach().float().cpu() for m in states.values()]
    n = matrices[0].shape[0]
    if any(m.shape != matrices[0].shape for m in matrices) or n < 2:
        raise DataError("language-ID probe: every language needs the same [N ≥ 2, D] states")
    train_idx, test_idx = (torch.as_tensor(a) for a in sentence_split(n, test_fraction, seed))
    x_train = torch.cat([m[train_idx] for m in matrices])
    x_test = torch.cat([m[test_idx] for m in matrices])
    labels = torch.arange(len(matrices))
    y_train = labels.repeat_interleave(len(train_idx))
    y_test = labels.repeat_interleave(len(test_idx))
    mean = x_train.mean(0)
    std = x_train.std(0, unbiased=False)
    std = torch.where(std > 1e-8, std, torch.ones_like(std))
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    weight = torch.zeros(x_train.shape[1], len(matrices), requires_grad=True)
    bias = torch.zeros(len(matrices), requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [weight, bias],
        max_iter=max_iter,
        history_size=10,
        line_search_fn="strong_wolfe",
        tolerance_grad=1e-5,
        tolerance_change=1e-9,
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        logits = x_train @ weight + bias
        loss = (
            regularization * torch.nn.functional.cross_entropy(logits, y_train, reduction="sum")
            + 0.5 * weight.square().sum()
        )
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    with torch.enable_grad():
        optimizer.step(closure)  # type: ignore[no-untyped-call]
    with torch.no_grad():
        predicted = (x_test @ weight + bias).argmax(1)
    return float((predicted == y_test).double().mean())
