"""The language registry: one :class:`Language` per FLORES-200 variety, and code resolution.

Everything downstream (datasets, lexicon, token attribution, reports) keys languages by their
FLORES-200 code (``fra_Latn``), because that code pins both the language *and* the script. Users,
model cards and other datasets speak ISO 639-1 (``fr``), ISO 639-3 (``fra``), BCP-47 (``zh-TW``) or
FLORES+ (``cmn_Hans``); :func:`resolve_language` turns all of those into one registry entry.

Resolution order, each step case-insensitive:

1. exact FLORES-200 / FLORES+ code, English name or a curated alias (``fa-AF`` → Dari);
2. otherwise the tag is parsed with ``langcodes``; its language subtag selects the registry entries
   of that language (ISO 639-1 of the FLORES default for macrolanguages: ``ar`` → ``arb_*``,
   ``fa`` → ``pes_Arab``, ``no`` → ``nob_Latn``…);
3. the script decides between them: an explicit one (``zh-Hant``) or the likely one for the
   region (``zh-TW`` → Hant, ``zh-CN`` → Hans).

What a user types (:func:`resolve_language`, :func:`resolve_languages`) must be an exact key of
step 1 or a *valid* tag: every subtag registered (``langcodes``' ``is_valid``), no variants or
extensions, and an explicit script FLORES has for that language. Anything else — a near-miss
(``fra_Latm``, ``zh-Hanz``, ``fra_Latnn``) or a script FLORES lacks (``sr-Latn``) — is an unknown
language with the closest codes as the suggestion: a silent remap would measure a language the
user did not ask for. (:func:`find_language` without ``strict_script`` keeps the old lenient
fallback for data files.)

The table is embedded data (:mod:`babelscope.languages._table`) and indexes are built on first use,
so importing this module costs nothing.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from babelscope.errors import LanguageError
from babelscope.languages._table import LANGUAGE_ROWS, NON_FLORES200_CODES
from babelscope.languages.flores_plus import FLORES_PLUS_CODES

if TYPE_CHECKING:
    import langcodes


@dataclass(frozen=True)
class Language:
    """One language variety as FLORES-200 defines it (a language in one script).

    Attributes:
        code: FLORES-200 code, ``<iso639_3>_<script>`` (``"fra_Latn"``).
        iso639_3: ISO 639-3 code as FLORES uses it; for a few varieties a macrolanguage code
            (``zho``, ``est``, ``grn``).
        iso639_1: two-letter code users would type for this variety, or ``None``. Set for the FLORES
            default of a macrolanguage (``ar`` on ``arb_Arab``), not for its other members.
        bcp47: BCP-47 tag (``"fr"``, ``"zh-Hans"``, ``"sr-Cyrl"``).
        name: English name, as in the FLORES-200 README.
        autonym: the language's name for itself, or ``None`` where not known reliably.
        script: ISO 15924 script code (``"Latn"``, ``"Hans"``).
        flores200: ``False`` only for varieties outside FLORES-200 kept so SIB-200 resolves
            (``nqo_Nkoo``).
    """

    code: str
    iso639_3: str
    iso639_1: str | None
    bcp47: str
    name: str
    autonym: str | None
    script: str
    flores200: bool = True

    @property
    def flores_plus_code(self) -> str:
        """This variety's code in FLORES+ (``zho_Hans`` -> ``cmn_Hans``)."""
        return FLORES_PLUS_CODES[self.code]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"


# Whole-tag aliases (lower case, "_" for "-") where the generic rules would pick another variety.
_ALIASES: dict[str, str] = {
    "fa_af": "prs_Arab",  # Persian as written in Afghanistan is Dari
    "ku_arab": "ckb_Arab",  # Kurdish in Arabic script is Sorani (Central Kurdish)
    "az_arab": "azb_Arab",  # Azerbaijani in Arabic script is South Azerbaijani
    "az_ir": "azb_Arab",
}

# Common English names that are not FLORES names verbatim (lower case).
_NAME_ALIASES: dict[str, str] = {
    "arabic": "arb_Arab",
    "chinese": "zho_Hans",
    "mandarin": "zho_Hans",
    "cantonese": "yue_Hant",
    "persian": "pes_Arab",
    "farsi": "pes_Arab",
    "malay": "zsm_Latn",
    "norwegian": "nob_Latn",
    "kurdish": "kmr_Latn",
    "mongolian": "khk_Cyrl",
    "uzbek": "uzn_Latn",
    "albanian": "als_Latn",
    "latvian": "lvs_Latn",
    "pashto": "pbt_Arab",
    "oromo": "gaz_Latn",
    "malagasy": "plt_Latn",
    "quechua": "quy_Latn",
    "aymara": "ayr_Latn",
    "azerbaijani": "azj_Latn",
    "punjabi": "pan_Guru",
    "panjabi": "pan_Guru",
    "tibetan": "bod_Tibt",
    "filipino": "tgl_Latn",
    "bangla": "ben_Beng",
    "fulfulde": "fuv_Latn",
    "fula": "fuv_Latn",
    "kanuri": "knc_Latn",
    "kashmiri": "kas_Arab",
    "yiddish": "ydd_Hebr",
    "tamasheq": "taq_Latn",
    "dinka": "dik_Latn",
    "meitei": "mni_Beng",
    "manipuri": "mni_Beng",
    "slovene": "slv_Latn",
    "kirghiz": "kir_Cyrl",
    "oriya": "ory_Orya",
    "kongo": "kon_Latn",
    "sesotho": "sot_Latn",
    "tamazight": "tzm_Tfng",
}

# langcodes normalises a few subtags to codes FLORES does not use; map them back.
_SUBTAG_ALIASES: dict[str, str] = {
    "fil": "tl",
    "cmn": "zh",
    "ekk": "et",
    "gug": "gn",
    "zgh": "tzm",
    "ktu": "kg",
    "din": "dik",
    "no": "nb",  # Norwegian macrolanguage -> Bokmål, as FLORES-200 and most corpora do
}

# ISO 15924 codes that name the same writing system for our purposes.
_SCRIPT_EQUIVALENTS: dict[str, str] = {"Kore": "Hang", "Hrkt": "Jpan"}


@lru_cache(maxsize=1)
def _registry() -> tuple[Language, ...]:
    """All registry entries (FLORES-200 plus extras), sorted by code."""
    entries = []
    for code, bcp47, iso639_1, name, autonym in LANGUAGE_ROWS:
        iso639_3, script = code.split("_")
        entries.append(
            Language(
                code=code,
                iso639_3=iso639_3,
                iso639_1=iso639_1,
                bcp47=bcp47,
                name=name,
                autonym=autonym,
                script=script,
                flores200=code not in NON_FLORES200_CODES,
            )
        )
    return tuple(sorted(entries, key=lambda lang: lang.code))


@lru_cache(maxsize=1)
def _by_code() -> dict[str, Language]:
    return {lang.code: lang for lang in _registry()}


@lru_cache(maxsize=1)
def _exact_index() -> dict[str, Language]:
    """Lower-cased keys that name exactly one variety: codes, FLORES+ codes, names, aliases."""
    by_code = _by_code()
    index: dict[str, Language] = {}
    for lang in _registry():
        index[_key(lang.name)] = lang
    for alias, code in {**_NAME_ALIASES, **_ALIASES}.items():
        index[_key(alias)] = by_code[code]
    for code, plus in FLORES_PLUS_CODES.items():
        index[_key(plus)] = by_code[code]
    for lang in _registry():
        index[_key(lang.code)] = lang
    return index


def _key(text: str) -> str:
    """Lookup key: case-insensitive, ``-`` and ``_`` interchangeable."""
    return text.strip().replace("-", "_").lower()


@lru_cache(maxsize=1)
def _by_subtag() -> dict[str, list[Language]]:
    """Language subtag (ISO 639-1, ISO 639-3 or BCP-47 base) -> varieties, in registry order."""
    index: dict[str, list[Language]] = {}
    for lang in _registry():
        keys = {lang.iso639_3, lang.bcp47.split("-")[0].lower()}
        if lang.iso639_1:
            keys.add(lang.iso639_1)
        for key in sorted(keys):
            index.setdefault(key, []).append(lang)
    return index


def _normalise_script(script: str | None) -> str | None:
    if script is None:
        return None
    script = script.title()
    return _SCRIPT_EQUIVALENTS.get(script, script)


def _lookup(code: str, *, strict_script: bool = False, valid: bool = False) -> Language | None:
    """Registry entry for ``code``, or ``None``.

    With ``strict_script`` an explicit script that FLORES lacks returns ``None`` instead of falling
    back (the lexicon uses this so that CLDR's ``sr_Latn`` is not filed under ``srp_Cyrl``).
    With ``valid`` (user input) a tag that is not an exact key must also be a valid tag without
    variants or extensions (module docstring), and its explicit script is strict.
    """
    key = _key(code)
    exact = _exact_index().get(key)
    if exact is not None or not key:
        return exact
    parsed = _parse(key)
    if parsed is None:
        return None
    tag, candidates = parsed
    if valid:
        if not tag.is_valid() or tag.variants or tag.extensions or tag.private:
            return None
        strict_script = True
    explicit = _normalise_script(tag.script)
    if explicit is None:
        return _pick_default(candidates, tag)
    matching = [lang for lang in candidates if lang.script == explicit]
    if matching or strict_script:
        return matching[0] if matching else None
    fallback = _pick_default(candidates, tag)
    warnings.warn(
        f"FLORES-200 has no {explicit} variety of {fallback.name}; "
        f"using {fallback.code} for {code!r}",
        stacklevel=3,
    )
    return fallback


def _parse(key: str) -> tuple[langcodes.Language, list[Language]] | None:
    """Parse a BCP-47-like key; return the tag and the registry varieties of its language."""
    import langcodes

    try:
        tag = langcodes.Language.get(key.replace("_", "-"))
    except (ValueError, LookupError):  # langcodes raises LanguageTagError (a ValueError)
        return None
    # The raw first subtag wins over langcodes' normalisation, which folds some FLORES languages
    # into others (prs -> fa-AF, tgl -> fil).
    raw = key.split("_", maxsplit=1)[0]
    normalised = tag.language or ""
    subtag = raw if raw in _by_subtag() else _SUBTAG_ALIASES.get(normalised, normalised)
    candidates = _by_subtag().get(subtag, [])
    return (tag, candidates) if candidates else None


def _pick_default(candidates: list[Language], tag: langcodes.Language) -> Language:
    """Choose among varieties of one language by the likely script of the (regional) tag."""
    if len(candidates) == 1:
        return candidates[0]
    likely = _normalise_script(tag.maximize().script)
    matching = [lang for lang in candidates if lang.script == likely]
    pool = matching or candidates
    # FLORES-200 proper before extras; then registry (code) order, which is deterministic.
    return sorted(pool, key=lambda lang: not lang.flores200)[0]


def _suggestions(code: str, limit: int = 5) -> list[Language]:
    """Closest registry entries to a mistyped code: first the varieties of the language its
    first subtag names (``fra_Latm`` → fra_Latn, ``zh-Hanz`` → zho_Hans, zho_Hant), then the
    nearest codes, ISO codes and English names."""
    query = code.strip().lower()
    parsed = _parse(_key(code)) if query else None
    same = list(parsed[1]) if parsed is not None else []
    if same:
        return same[:limit]
    scored: list[tuple[float, str, Language]] = []
    for lang in _registry():
        keys = [lang.code.lower(), lang.iso639_3, lang.bcp47.lower(), lang.name.lower()]
        keys += [key.lower() for key in (lang.iso639_1, lang.autonym) if key]
        score = max(difflib.SequenceMatcher(None, query, key).ratio() for key in keys)
        if score >= 0.5:
            scored.append((score, lang.code, lang))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [lang for _, _, lang in scored[:limit]]


_HINT = (
    "codes may be FLORES-200 (fra_Latn), ISO 639-1/3 (fr, fra), BCP-47 (fr-CA, zh-Hant) "
    "or English names"
)


def _did_you_mean(code: str) -> str:
    close = _suggestions(code)
    return f"did you mean {', '.join(str(lang) for lang in close)}?" if close else ""


def _unknown(code: str) -> LanguageError:
    suggestion = _did_you_mean(code)
    fix = f"{suggestion} ({_HINT})" if suggestion else _HINT
    return LanguageError(f"unknown language {code!r}", fix=fix)


def resolve_language(code: str) -> Language:
    """The registry entry for any common spelling of a language.

    Accepts FLORES-200 (``fra_Latn``), FLORES+ (``cmn_Hans``), ISO 639-1 (``fr``), ISO 639-3
    (``fra``), ISO 639-2/B (``fre``, ``ger``), BCP-47 (``zh-Hans``, ``zh-TW``, ``pt-BR``) and
    English names (``French``), case-insensitively, ``-`` and ``_`` alike. Near-misses
    (``fra_Latm``, ``zh-Hanz``) and scripts FLORES lacks (``sr-Latn``) are rejected, never
    remapped. Macrolanguages resolve to the FLORES default (``zh`` → ``zho_Hans``,
    ``ar`` → ``arb_Arab``, ``fa`` → ``pes_Arab``, ``ms`` → ``zsm_Latn``, ``no`` → ``nob_Latn``).

    Raises:
        LanguageError: nothing matches; the message lists the closest valid codes.
    """
    if not isinstance(code, str):
        raise LanguageError(f"language code must be a string, got {type(code).__name__}")
    found = _lookup(code, valid=True)
    if found is None:
        raise _unknown(code)
    return found


def find_language(code: str, *, strict_script: bool = False) -> Language | None:
    """Like :func:`resolve_language`, but ``None`` instead of an error when nothing matches.

    With ``strict_script`` a tag whose explicit script FLORES lacks (``sr-Latn``) gives ``None``
    rather than the language's other variety; use it when mapping external data by locale.
    """
    return _lookup(code, strict_script=strict_script)


def get_language(code: str) -> Language:
    """Registry entry by exact, case-sensitive FLORES code (no guessing)."""
    found = _by_code().get(code)
    if found is None:
        raise _unknown(code)
    return found


def all_languages(*, include_extra: bool = False) -> list[Language]:
    """The 204 FLORES-200 varieties sorted by code; ``include_extra`` adds SIB-200's nqo_Nkoo."""
    return [lang for lang in _registry() if include_extra or lang.flores200]


def resolve_languages(spec: str | Sequence[str]) -> list[Language]:
    """Languages from ``"all"``, ``"fr,de,zh"`` or a list of codes; order kept, duplicates dropped.

    Every unknown code is reported in one :class:`~babelscope.errors.LanguageError`, so a long
    command line fails once, not once per typo.
    """
    items = [spec] if isinstance(spec, str) else list(spec)
    codes = [part.strip() for item in items for part in str(item).split(",") if part.strip()]
    if not codes:
        raise LanguageError(
            "no languages given", fix='pass codes such as "fra_Latn,deu_Latn" or "all"'
        )
    if any(code.lower() == "all" for code in codes):
        if len(codes) > 1:
            raise LanguageError(
                f"'all' cannot be combined with other codes: {', '.join(codes)}",
                fix='pass either "all" or a list of codes',
            )
        return all_languages()
    resolved: list[Language] = []
    unknown: list[str] = []
    for code in codes:
        found = _lookup(code, valid=True)
        if found is None:
            unknown.append(code)
        elif found not in resolved:
            resolved.append(found)
    if len(unknown) == 1:
        raise _unknown(unknown[0])
    if unknown:
        details = "; ".join(
            f"{code!r} ({_did_you_mean(code) or 'no close match'})" for code in unknown
        )
        raise LanguageError(f"unknown languages {details}", fix=_HINT)
    return resolved
