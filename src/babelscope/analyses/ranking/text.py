"""Text-side fairness: what the same content costs in each language.

- **Tokens per sentence** and the **token premium** (Petrov et al. 2023): tokens a language
  needs for the same parallel sentences, divided by what the pivot needs (ratio of totals).
  A premium of 3 means three times the context, compute and price for the same content.
- **Bits per byte / per character / per sentence** from the model's own log-likelihood of
  every scored token. Bytes favour Latin scripts (1 byte per letter against 2–3 for most
  others), characters favour dense scripts; bits per *sentence* of parallel text compare the
  same content directly. ``bits_premium`` is bits per sentence over the pivot's.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from babelscope.collect.reader import StoreReader

TEXT_COLUMNS = (
    "tokens_per_sentence",
    "token_premium",
    "bytes_per_sentence",
    "bits_per_byte",
    "bits_per_char",
    "bits_per_sentence",
    "bits_premium",
)


def compute_text_table(
    reader: StoreReader, languages: Sequence[str], pivot: str, *, text_metrics: bool
) -> pd.DataFrame:
    """One row per language (pivot included): the columns of :data:`TEXT_COLUMNS`.

    Without ``text_metrics`` (no log-likelihood was computed) the ``bits_*`` columns are NaN."""
    rows = []
    for lang in dict.fromkeys([pivot, *languages]):
        texts = reader.groups[lang].texts
        content = reader.get(lang, "content_tokens").double()
        row: dict[str, object] = {
            "language": lang,
            "sentences": len(texts),
            "tokens": int(content.sum()),
            "tokens_per_sentence": float(content.mean()),
            "bytes_per_sentence": sum(len(t.encode("utf-8")) for t in texts) / len(texts),
            "chars_per_sentence": sum(len(t) for t in texts) / len(texts),
        }
        if text_metrics:
            bits = reader.get(lang, "nll_bits").double()
            scored_bytes = reader.get(lang, "scored_bytes").double().sum()
            scored_chars = reader.get(lang, "scored_chars").double().sum()
            row["bits_per_byte"] = float(bits.sum() / scored_bytes)
            row["bits_per_char"] = float(bits.sum() / scored_chars)
            row["bits_per_sentence"] = float(bits.mean())
            row["bits_per_token"] = float(
                bits.sum() / reader.get(lang, "scored_tokens").double().sum()
            )
        rows.append(row)
    frame = pd.DataFrame(rows)
    base = frame.loc[frame["language"] == pivot].iloc[0]
    frame["token_premium"] = frame["tokens"] / base["tokens"]
    if text_metrics:
        frame["bits_premium"] = frame["bits_per_sentence"] / base["bits_per_sentence"]
    else:
        for column in ("bits_per_byte", "bits_per_char", "bits_per_sentence", "bits_per_token"):
            frame[column] = float("nan")
        frame["bits_premium"] = float("nan")
    order = [
        "language",
        "sentences",
        "tokens",
        "tokens_per_sentence",
        "token_premium",
        "bytes_per_sentence",
        "chars_per_sentence",
        "bits_per_byte",
        "bits_per_char",
        "bits_per_token",
        "bits_per_sentence",
        "bits_premium",
    ]
    return frame[order]
