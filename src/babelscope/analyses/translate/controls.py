"""Per-output controls a small model's translation needs: copy, off-target, empty, the cap.

- **copy**: sentence chrF (word order 0) of the output against the *source* above
  :data:`COPY_THRESHOLD` — the model repeated its input (names and numbers alone score well
  above zero on FLORES; TRAPS.md).
- **off-target**: the output is not in the target language. The script decides first (the
  FLORES code names it: an Arabic-script target answered in Latin letters is off-target
  whatever a language ID says); when the script fits, fastText lid.176
  (:mod:`babelscope.languages.identify`, as ``steer`` uses it, labels at the macro-language
  level) decides. NaN where lid.176 has no label for the target and the script fits (never a 0
  that reads as "on target"), and for empty outputs (counted as empty instead).
- **empty**: nothing but whitespace came out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from babelscope import chrf
from babelscope.languages.identify import detect, lid_target
from babelscope.languages.scripts import COMMON, script_of

COPY_THRESHOLD = 90.0
#: Dominant scripts (``script_of``) that count as a FLORES script code.
_SCRIPT_ALIASES: dict[str, frozenset[str]] = {
    "Hans": frozenset({"Hani"}),
    "Hant": frozenset({"Hani"}),
    "Jpan": frozenset({"Jpan", "Hani"}),  # a Japanese sentence may hold no kana
    "Kore": frozenset({"Hang"}),
}


@dataclass(frozen=True)
class Control:
    """One output's controls (see the module docstring)."""

    empty: bool
    copy_chrf: float
    copy: bool
    output_script: str
    script_ok: float  # 1/0, NaN for empty or script-less output
    lid_label: str
    off_target: float  # 1/0/NaN


def expected_scripts(code: str) -> frozenset[str]:
    """The ``script_of`` answers that fit the FLORES code ``code`` (``zho_Hans`` → Hani)."""
    script = code.rsplit("_", 1)[-1]
    return _SCRIPT_ALIASES.get(script, frozenset({script}))


def control(output: str, source: str, target_code: str) -> Control:
    """The controls of ``output`` (translating ``source`` into ``target_code``)."""
    if not output.strip():
        return Control(True, 0.0, False, COMMON, math.nan, "", math.nan)
    copy_chrf = chrf.sentence(output, source, word_order=0)
    script = script_of(output)
    if script == COMMON:  # digits and punctuation only: the script cannot decide
        script_ok = math.nan
    else:
        script_ok = float(script in expected_scripts(target_code))
    found = detect(output, second_opinion=False)
    if script_ok == 0.0:
        off = 1.0
    else:
        target = lid_target(target_code)
        off = math.nan if not target.measurable else float(found.label not in target.labels)
    return Control(
        False, copy_chrf, copy_chrf > COPY_THRESHOLD, script, script_ok, found.label, off
    )
