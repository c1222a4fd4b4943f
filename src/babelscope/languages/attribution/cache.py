"""Per-tokenizer identity and the on-disk cache of soft attribution matrices.

Building the soft matrix of a 262k-token vocabulary takes seconds; it depends only on the
tokenizer's contents, the language list, the weights and :data:`SOFT_VERSION`, so it is
stored once under ``cache_subdir("tokenizers") / <tokenizer hash> /``:

* ``soft-<key>.npy`` — the ``[V, L+1]`` float32 matrix;
* ``soft-<key>.json`` — languages, config, version and shape, for humans and provenance.

Both are written to a temporary file in the same directory and moved into place with
``os.replace``, so concurrent runs never read half a file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from babelscope.atomic import atomic_write
from babelscope.languages.attribution.soft import (
    SOFT_VERSION,
    SoftAttribution,
    SoftAttributionConfig,
    soft_language_matrix,
)
from babelscope.languages.attribution.vocabulary import BoundaryStyle, Vocabulary
from babelscope.paths import cache_subdir


def tokenizer_hash(tokenizer: Any) -> str:
    """sha256 (hex) of a tokenizer's contents: class, sorted vocabulary, special/added tokens
    and the backend decoder's description. Two tokenizers with the same hash decode every id
    to the same text."""
    digest = hashlib.sha256()
    digest.update(type(tokenizer).__name__.encode())
    vocab: dict[str, int] = tokenizer.get_vocab()
    ordered = sorted(vocab.items(), key=lambda item: (item[1], item[0]))
    digest.update(
        "\x00".join(f"{token_id}\x01{token}" for token, token_id in ordered).encode(
            "utf-8", "surrogatepass"
        )
    )
    digest.update(b"\x02special")
    for token in sorted(getattr(tokenizer, "all_special_tokens", ()) or ()):
        digest.update(b"\x00" + str(token).encode("utf-8", "surrogatepass"))
    digest.update(b"\x02added")
    added = getattr(tokenizer, "added_tokens_decoder", {}) or {}
    for token_id in sorted(added):
        item = added[token_id]
        content = str(getattr(item, "content", item))
        flag = b"S" if getattr(item, "special", False) else b"-"
        digest.update(b"\x00%d" % token_id + flag + content.encode("utf-8", "surrogatepass"))
    backend = getattr(tokenizer, "backend_tokenizer", None)
    decoder = getattr(backend, "decoder", None) if backend is not None else None
    digest.update(b"\x02decoder" + str(decoder).encode())
    return digest.hexdigest()


def soft_cache_key(
    languages: Sequence[str],
    config: SoftAttributionConfig,
    *,
    style: BoundaryStyle | None,
    n_rows: int | None,
) -> str:
    """Short hex key over everything besides the tokenizer that shapes the matrix."""
    described = {
        "version": SOFT_VERSION,
        "languages": list(languages),
        "config": config.as_key(),
        "style": style.value if style is not None else None,
        "n_rows": n_rows,
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:20]


def cached_soft_attribution(
    tokenizer: Any,
    languages: Sequence[str],
    *,
    config: SoftAttributionConfig | None = None,
    style: BoundaryStyle | str | None = None,
    n_rows: int | None = None,
    vocab: Vocabulary | None = None,
    cache_dir: Path | None = None,
) -> SoftAttribution:
    """The soft attribution of ``tokenizer`` over ``languages``, from the cache when present.

    ``vocab`` skips rebuilding the :class:`Vocabulary` when the caller already has it;
    ``cache_dir`` defaults to ``cache_subdir("tokenizers")``. Returns a ``[V, L+1]`` matrix
    (``[n_rows, L+1]`` when given)."""
    config = config if config is not None else SoftAttributionConfig()
    resolved_style = BoundaryStyle(style) if style is not None else None
    root = cache_dir if cache_dir is not None else cache_subdir("tokenizers")
    folder = root / tokenizer_hash(tokenizer)
    key = soft_cache_key(languages, config, style=resolved_style, n_rows=n_rows)
    matrix_path = folder / f"soft-{key}.npy"
    if matrix_path.is_file():
        matrix = np.load(matrix_path, allow_pickle=False)
        if matrix.ndim == 2 and matrix.shape[1] == len(languages) + 1:
            return SoftAttribution(languages=tuple(languages), matrix=matrix.astype(np.float32))
    if vocab is None:
        vocab = Vocabulary.from_tokenizer(tokenizer, style=resolved_style)
    result = soft_language_matrix(vocab, languages, config=config, n_rows=n_rows)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(matrix_path, lambda handle: np.save(handle, result.matrix, allow_pickle=False))
    manifest = {
        "version": SOFT_VERSION,
        "languages": list(result.languages),
        "columns": list(result.columns),
        "config": config.as_key(),
        "style": vocab.style.value,
        "shape": list(result.matrix.shape),
    }
    text = json.dumps(manifest, indent=2, sort_keys=True).encode()
    atomic_write(folder / f"soft-{key}.json", lambda handle: handle.write(text))
    return result
