"""Translation on FLORES-200 with supervised, linguistically-diverse (LDP) and zero-shot
prompts: chrF++/chrF with bootstrap intervals beside copy, off-target, empty and cap controls."""

from __future__ import annotations

from babelscope.analyses.translate.result import TranslateResult
from babelscope.analyses.translate.settings import (
    DIRECTIONS,
    LDP_LANGUAGES,
    PROMPTINGS,
    TranslateSettings,
)

__all__ = ["DIRECTIONS", "LDP_LANGUAGES", "PROMPTINGS", "TranslateResult", "TranslateSettings"]
