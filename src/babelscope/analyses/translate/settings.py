"""What a translation run does: directions, prompting modes, shots, sentences, the token cap.

Everything here is part of a run's identity (a resumed run must have the same settings as the
shards it finds). Parsing the user's spellings lives here too, so the CLI and a notebook reject
the same bad input with the same one-line message.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from babelscope.errors import ConfigError

DIRECTIONS = ("xx-en", "en-xx")
PROMPTINGS = ("supervised", "ldp", "zero")
#: The LDP paper's exemplar languages (Nguyen et al., ACL 2024): script-diverse, high-resource.
LDP_LANGUAGES = ("arb_Arab", "zho_Hans", "vie_Latn", "fra_Latn")
ENGLISH = "eng_Latn"


@dataclass(frozen=True)
class TranslateSettings:
    """One translation run's settings.

    ``cap_factor``/``cap_extra`` give each sentence's token cap: ``ceil(cap_factor × tokens of
    its reference) + cap_extra`` new tokens (the reference tokenised by the model's own
    tokenizer, so a tokenizer that spends 5 tokens per character gets a 5× larger cap).
    Generation is greedy and stops at the first newline or EOS before the cap."""

    split: str = "dev"
    exemplar_split: str | None = None  # None: another split when one exists, else `split`
    directions: tuple[str, ...] = DIRECTIONS
    promptings: tuple[str, ...] = ("supervised", "ldp")
    shots: int = 4
    sentences: int = 20
    ldp_languages: tuple[str, ...] = LDP_LANGUAGES
    seed: int = 0
    batch_size: int = 8
    bootstrap: int = 1000
    cap_factor: float = 1.5
    cap_extra: int = 8
    languages: tuple[str, ...] = field(default=())  # resolved FLORES codes (filled by the pipeline)

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("direction", self.directions, DIRECTIONS),
            ("prompting", self.promptings, PROMPTINGS),
        ):
            if not value:
                raise ConfigError(f"--{name} is empty", fix=f"use one of {','.join(allowed)}")
            for item in value:
                if item not in allowed:
                    raise ConfigError(
                        f"unknown --{name} {item!r}", fix=f"use one of {','.join(allowed)}"
                    )
        for name, number, low in (
            ("shots", self.shots, 0),
            ("sentences", self.sentences, 1),
            ("batch-size", self.batch_size, 1),
            ("bootstrap", self.bootstrap, 1),
            ("cap-extra", self.cap_extra, 1),
        ):
            if number < low:
                raise ConfigError(f"--{name} {number} is too small", fix=f"use ≥ {low}")
        if not math.isfinite(self.cap_factor) or self.cap_factor <= 0:
            raise ConfigError(f"--cap-factor {self.cap_factor} is not > 0", fix="use e.g. 2")
        if self.shots == 0 and set(self.promptings) - {"zero"}:
            raise ConfigError(
                "--shots 0 leaves supervised and ldp without exemplars",
                fix="use --shots ≥ 1, or --prompting zero",
            )
        if "ldp" in self.promptings and not self.ldp_languages:
            raise ConfigError("--ldp-languages is empty", fix="name e.g. arb_Arab,zho_Hans")

    def cap(self, reference_tokens: int) -> int:
        """The new-token cap of a sentence whose reference has ``reference_tokens`` tokens."""
        return math.ceil(self.cap_factor * reference_tokens) + self.cap_extra

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TranslateSettings:
        values: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in data.items()
        }
        return cls(**values)


def parse_list(text: str | Sequence[str]) -> tuple[str, ...]:
    """``a,b`` (or a list) as a tuple of stripped, non-empty, unique items, order kept."""
    items = text.split(",") if isinstance(text, str) else list(text)
    return tuple(dict.fromkeys(item.strip() for item in items if item.strip()))
