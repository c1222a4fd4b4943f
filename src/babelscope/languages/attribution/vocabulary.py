"""A tokenizer's vocabulary as bytes: what each token id writes, and whether it starts a word.

Attribution compares tokens with words, so every token is reduced to the exact bytes it
contributes to decoded text, with its word-boundary marker turned into a leading ``b" "``.
Three marker styles exist among causal LMs:

* ``SENTENCEPIECE`` — ``▁`` marks a word start (Llama 2, Gemma); rare characters fall back
  to byte tokens ``<0xE4>``.
* ``BYTE_LEVEL`` — GPT-2 byte-level BPE (SmolLM, Qwen, Llama 3): every byte is written as a
  stand-in character, a space is ``Ġ``; a token may end half-way through a character.
* ``SPACE`` — the token string is the text itself, word starts carry a plain ``" "``.

The style is detected from the tokenizer's decoder when it has one, otherwise from the
token strings; callers may override it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
import numpy.typing as npt

from babelscope.errors import DataError
from babelscope.languages.attribution._bytes import (
    byte_level_to_bytes,
    parse_byte_fallback,
)


class BoundaryStyle(str, Enum):
    """How a tokenizer marks the start of a word inside a token string."""

    SENTENCEPIECE = "sentencepiece"
    BYTE_LEVEL = "byte_level"
    SPACE = "space"

    @property
    def marker(self) -> str:
        """The character that stands for a leading space in raw token strings."""
        return {"sentencepiece": "▁", "byte_level": "Ġ", "space": " "}[self.value]


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """Every token id of one tokenizer, decoded to bytes.

    All sequences and arrays have length ``V`` (max token id + 1); ids the tokenizer does not
    define are empty special tokens.

    Attributes:
        raw: the tokenizer's own token strings (``"▁livre"``, ``"Ġliv"``, ``"<0xE4>"``).
        data: the bytes each token writes, its boundary marker as a leading ``b" "``.
        special: ``[V]`` bool — control/added-special tokens and holes; never attributed.
        byte_fallback: ``[V]`` bool — SentencePiece byte tokens (``<0x..>``).
        boundary: ``[V]`` bool — the token starts a word (its data starts with a space).
        complete: ``[V]`` bool — ``data`` is valid UTF-8 (false for partial characters).
        style: the marker style used to decode ``raw``.
    """

    raw: tuple[str, ...]
    data: tuple[bytes, ...]
    special: npt.NDArray[np.bool_]
    byte_fallback: npt.NDArray[np.bool_]
    boundary: npt.NDArray[np.bool_]
    complete: npt.NDArray[np.bool_]
    style: BoundaryStyle

    def __len__(self) -> int:
        return len(self.raw)

    def surface_bytes(self, token_id: int) -> bytes:
        """The token's bytes without its word-boundary space."""
        data = self.data[token_id]
        return data[1:] if self.boundary[token_id] else data

    def surface(self, token_id: int) -> str | None:
        """The token's text without its boundary space; ``None`` for a partial character."""
        if not self.complete[token_id]:
            return None
        return self.surface_bytes(token_id).decode("utf-8")

    def text(self, token_id: int) -> str | None:
        """The token's decoded text including a leading space for word starts, or ``None``."""
        return self.data[token_id].decode("utf-8") if self.complete[token_id] else None

    def fingerprint(self) -> str:
        """sha256 over style, raw strings, decoded bytes and special flags (hex digest).

        Identifies hand-made vocabularies; for real tokenizers prefer ``tokenizer_hash``."""
        digest = hashlib.sha256(self.style.value.encode())
        for raw, data, special in zip(self.raw, self.data, self.special.tolist(), strict=True):
            digest.update(raw.encode("utf-8", "surrogatepass") + b"\x00" + data + b"\x00")
            digest.update(b"S" if special else b"-")
        return digest.hexdigest()

    @classmethod
    def from_tokens(
        cls,
        tokens: Sequence[str],
        *,
        style: BoundaryStyle | str | None = None,
        special_ids: Iterable[int] = (),
        literal_ids: Iterable[int] = (),
    ) -> Vocabulary:
        """Build from raw token strings, ``tokens[i]`` being the string of id ``i``.

        ``literal_ids`` are tokens whose string is plain text even in a byte-level vocabulary
        (HF added tokens); ``special_ids`` are never attributed to any language. ``style=None``
        detects the marker style from the strings."""
        special = np.zeros(len(tokens), dtype=np.bool_)
        for token_id in special_ids:
            special[token_id] = True
        resolved = (
            BoundaryStyle(style) if style is not None else detect_style(tokens, special=special)
        )
        return _decode(tuple(tokens), special, frozenset(literal_ids), resolved)

    @classmethod
    def from_tokenizer(
        cls, tokenizer: Any, *, style: BoundaryStyle | str | None = None
    ) -> Vocabulary:
        """Build from a Hugging Face tokenizer (anything with ``get_vocab()``).

        Special ids are ``all_special_ids`` plus added tokens flagged special; other added
        tokens are read as literal text. The style comes from ``style``, else the backend
        decoder (``ByteLevel`` / ``▁`` replacement), else the token strings."""
        vocab: Mapping[str, int] = tokenizer.get_vocab()
        if not vocab:
            raise DataError("the tokenizer has an empty vocabulary", fix="pass a real tokenizer")
        size = max(max(vocab.values()) + 1, len(vocab))
        tokens = [""] * size
        defined = np.zeros(size, dtype=np.bool_)
        for token, token_id in vocab.items():
            tokens[token_id] = token
            defined[token_id] = True
        special = ~defined
        for token_id in getattr(tokenizer, "all_special_ids", ()) or ():
            if 0 <= token_id < size:
                special[token_id] = True
        added: Mapping[int, Any] = getattr(tokenizer, "added_tokens_decoder", {}) or {}
        for token_id, added_token in added.items():
            if getattr(added_token, "special", False) and 0 <= token_id < size:
                special[token_id] = True
        if style is not None:
            resolved = BoundaryStyle(style)
        else:
            resolved = _style_from_decoder(tokenizer) or detect_style(tokens, special=special)
        return _decode(tuple(tokens), special, frozenset(added), resolved)


def detect_style(
    tokens: Sequence[str], *, special: npt.NDArray[np.bool_] | None = None
) -> BoundaryStyle:
    """Guess the marker style from raw token strings (special tokens ignored).

    The marker that starts the most tokens wins, ``Ġ`` before ``▁`` before a space on ties;
    a vocabulary with no marker at all is read as plain text (``SPACE``)."""
    counts = {"Ġ": 0, "▁": 0, " ": 0}
    for token_id, token in enumerate(tokens):
        if special is not None and special[token_id]:
            continue
        first = token[:1]
        if first in counts:
            counts[first] += 1
    if counts["Ġ"] and counts["Ġ"] >= max(counts["▁"], counts[" "]):
        return BoundaryStyle.BYTE_LEVEL
    if counts["▁"] and counts["▁"] >= counts[" "]:
        return BoundaryStyle.SENTENCEPIECE
    return BoundaryStyle.SPACE


def _style_from_decoder(tokenizer: Any) -> BoundaryStyle | None:
    """The style implied by a fast tokenizer's decoder, or ``None`` when it says nothing."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    decoder = getattr(backend, "decoder", None) if backend is not None else None
    if decoder is None:
        return None
    description = str(decoder)
    if "ByteLevel" in description:
        return BoundaryStyle.BYTE_LEVEL
    if "Metaspace" in description or "▁" in description:
        return BoundaryStyle.SENTENCEPIECE
    return None


def _decode(
    raw: tuple[str, ...],
    special: npt.NDArray[np.bool_],
    literal_ids: frozenset[int],
    style: BoundaryStyle,
) -> Vocabulary:
    """Decode every raw string to bytes and derive the per-token flags."""
    size = len(raw)
    data: list[bytes] = [b""] * size
    byte_fallback = np.zeros(size, dtype=np.bool_)
    boundary = np.zeros(size, dtype=np.bool_)
    complete = np.ones(size, dtype=np.bool_)
    marker = style.marker
    for token_id, token in enumerate(raw):
        if special[token_id] or token_id in literal_ids:
            decoded = token.encode("utf-8", "surrogatepass")
        elif (
            style is not BoundaryStyle.BYTE_LEVEL
            and (byte := parse_byte_fallback(token)) is not None
        ):
            data[token_id] = bytes([byte])
            byte_fallback[token_id] = True
            complete[token_id] = byte < 0x80
            continue
        elif style is BoundaryStyle.BYTE_LEVEL:
            decoded = byte_level_to_bytes(token)
        elif style is BoundaryStyle.SENTENCEPIECE and marker in token:
            decoded = token.replace(marker, " ").encode("utf-8")
        else:
            decoded = token.encode("utf-8", "surrogatepass")
        data[token_id] = decoded
        boundary[token_id] = not special[token_id] and decoded[:1] == b" "
        try:
            decoded.decode("utf-8")
        except UnicodeDecodeError:
            complete[token_id] = False
    for flags in (special, byte_fallback, boundary, complete):
        flags.setflags(write=False)
    return Vocabulary(
        raw=raw,
        data=tuple(data),
        special=special,
        byte_fallback=byte_fallback,
        boundary=boundary,
        complete=complete,
        style=style,
    )
