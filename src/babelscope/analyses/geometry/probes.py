"""How much language identity a layer's states carry: a held-out language-ID probe.

The "identity" axis of the identity-versus-meaning picture (meaning:
:func:`~babelscope.analyses.geometry.retrieval.cross_lingual_retrieval_accuracy`). High in early
and late layers, lower in the middle when a model routes meaning through a shared space.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from babelscope.analyses.geometry._arrays import Array, as_matrix, paired
from babelscope.errors import ConfigError, DataError


def sentence_split(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and test sentence indices (sorted ``int64`` arrays) of ``range(n)``.

    Splitting *sentences*, not rows, keeps every translation of a test sentence out of
    training, so each test row is content the probe never saw in any language: accuracy then
    measures language identity on new sentences, not memorised per-sentence geometry."""
    if not 0.0 < test_fraction < 1.0:
        raise ConfigError(f"test_fraction={test_fraction}", fix="use 0 < test_fraction < 1")
    n_test = min(max(1, round(n * test_fraction)), n - 1)
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def language_id_probe_accuracy(
    states: Mapping[str, Array],
    seed: int = 0,
    *,
    test_fraction: float = 0.25,
    regularization: float = 1.0,
    max_iter: int = 1000,
) -> float:
    """Held-out accuracy of a logistic-regression language classifier.

    ``states`` maps each language to ``[N, D]`` states of the same N parallel sentences (row *i*
    is sentence *i* everywhere). Sentences are split ``test_fraction`` / rest with ``seed``
    (see :func:`sentence_split`), features are standardised on the training rows, and a
    multinomial logistic regression (``C=regularization``) predicts the language of every test
    row. Chance is 1/L for L languages; identical states in every language give exactly 1/L."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    if len(states) < 2:
        raise DataError(
            f"a language-ID probe needs at least 2 languages, got {len(states)}",
            fix="pass states for two or more languages",
        )
    langs = list(states)
    reference = as_matrix(states[langs[0]], langs[0])
    matrices = [
        paired(reference, states[lang], same_width=True, names=(langs[0], lang))[1].numpy()
        for lang in langs
    ]
    n = reference.shape[0]
    if n < 2:
        raise DataError(
            f"a language-ID probe needs at least 2 sentences per language, got {n}",
            fix="use more parallel sentences",
        )
    train, test = sentence_split(n, test_fraction, seed)
    labels = np.arange(len(langs))
    x_train = np.concatenate([m[train] for m in matrices])
    x_test = np.concatenate([m[test] for m in matrices])
    y_train, y_test = np.repeat(labels, len(train)), np.repeat(labels, len(test))
    scaler = StandardScaler().fit(x_train)
    probe = LogisticRegression(C=regularization, max_iter=max_iter, random_state=seed)
    probe.fit(scaler.transform(x_train), y_train)
    predicted = probe.predict(scaler.transform(x_test))
    return float(np.mean(predicted == y_test))
