"""Token-to-language attribution for any Hugging Face tokenizer.

* :class:`Vocabulary` — each token id as the bytes it writes, boundary marker detected.
* :class:`PrefixIndex` — Wendler-style prefix token sets of a word (and synonyms).
* :func:`disjoint_sets` — every pair of measured sets checked; shared ids go to a ``shared``
  bucket. :func:`find_collisions` / :func:`filter_collisions` — the older target-only rule.
* :func:`soft_language_matrix` / :func:`cached_soft_attribution` — P(language | token) over
  the whole vocabulary, cached per :func:`tokenizer_hash`.
"""

from __future__ import annotations

from babelscope.languages.attribution.cache import (
    cached_soft_attribution,
    soft_cache_key,
    tokenizer_hash,
)
from babelscope.languages.attribution.collisions import (
    SHARED,
    SOURCE_KEY,
    CollisionReport,
    DisjointSets,
    PromptTokenSets,
    disjoint_sets,
    empty_sets,
    filter_collisions,
    find_collisions,
)
from babelscope.languages.attribution.prefixes import (
    ALPHABETIC_MIN_PREFIX_CHARS,
    DEFAULT_MIN_PREFIX_CHARS,
    LATIN_MIN_PREFIX_CHARS,
    LOGOGRAPHIC_MIN_PREFIX_CHARS,
    PREFIX_RULE_VERSION,
    PrefixIndex,
    PrefixMatch,
    PrefixRule,
    is_logographic,
)
from babelscope.languages.attribution.soft import (
    OTHER,
    SINGLE_LANGUAGE_SCRIPTS,
    SOFT_VERSION,
    SoftAttribution,
    SoftAttributionConfig,
    soft_language_matrix,
)
from babelscope.languages.attribution.vocabulary import BoundaryStyle, Vocabulary, detect_style

__all__ = [
    "ALPHABETIC_MIN_PREFIX_CHARS",
    "DEFAULT_MIN_PREFIX_CHARS",
    "LATIN_MIN_PREFIX_CHARS",
    "LOGOGRAPHIC_MIN_PREFIX_CHARS",
    "OTHER",
    "PREFIX_RULE_VERSION",
    "SHARED",
    "SINGLE_LANGUAGE_SCRIPTS",
    "SOFT_VERSION",
    "SOURCE_KEY",
    "BoundaryStyle",
    "CollisionReport",
    "DisjointSets",
    "PrefixIndex",
    "PrefixMatch",
    "PrefixRule",
    "PromptTokenSets",
    "SoftAttribution",
    "SoftAttributionConfig",
    "Vocabulary",
    "cached_soft_attribution",
    "detect_style",
    "disjoint_sets",
    "empty_sets",
    "filter_collisions",
    "find_collisions",
    "is_logographic",
    "soft_cache_key",
    "soft_language_matrix",
    "tokenizer_hash",
]
