"""Extract a concept lexicon from the CLDR data shipped inside ``babel``.

Why not ``babel.Locale``: its alias-resolving dictionaries write resolved values back into
nested dicts that ``babel.localedata.merge`` shares between locales, so what one locale returns
depends on which locales were read before it (this is how Yoruba and Arabic month names come out
as ``1月``: Japanese resolved the root alias first). We therefore unpickle each locale's *own*
data file, walk the CLDR parent chain ourselves, resolve aliases against the requesting locale,
and remember which locale every value came from. A value is kept only if it comes from a locale
of the same language: values found in ``root`` (``M01``, ``Mon``, ``{0} or {1}``) or in a parent
of another language (Haitian Creole inherits from French) are placeholders, not words.

Cleaning rules (bump :data:`RULES_VERSION` when they change):

1. Unicode NFC; bidi marks removed; no-break spaces are spaces; zero-width space separates words.
2. Unit words come from long unit patterns (``"{0} hours"``) only where the pattern is the number
   plus one word (or, for Arabic/Hebrew singular and dual, the word alone). Where a locale has no
   long pattern, CLDR itself falls back to the short one, and so do we, but a short word is kept
   only if it is not an English/root abbreviation (``km``, ``tsp``) and, for the durations that
   also have relative-time phrases (``"in {0} hours"``), only if that phrase contains it: this
   rejects clipped forms such as Yoruba ``wkt`` for *wákàtí*. A long-pattern word that is a
   clipped prefix of a phrase word (Irish ``bl`` for ``bliana``) is dropped too. Conjunctions
   come from list patterns (``"{0} and {1}"``); day periods only where the meaning is exact
   (midnight, noon: CLDR's numbered periods such as ``morning1`` mean different spans in
   different locales).
3. Entries with a dot (abbreviations), digits (``1月``, ``tháng 1``), brackets or slashes, a
   leading/trailing hyphen (affixes) or several words are dropped; surrounding punctuation,
   symbols and joiners are stripped (Tibetan tsheg, quotes, ZWNJ).
4. When all twelve month names share a first word (Yoruba ``Oṣù Ṣẹ́rẹ́`` = "month Ṣẹ́rẹ́"), that
   word is removed before rule 3.
5. Lower case in the language's own rules (Turkish/Azerbaijani/Crimean Tatar dotted and dotless i).
6. A word must be written in the variety's script (drops Latin ``h`` from a Pashto pattern), and in
   non-Latin locales must not equal an English word of the lexicon (untranslated leftovers);
   single letters of cased scripts are dropped except for conjunctions (Spanish ``y``).
7. Chinese measure words before a unit are removed (``个月`` -> ``月``), and so is an elided
   ``d’`` before Catalan/Occitan/Asturian month names (``d’abril`` -> ``abril``). Unit words in
   Latin or Cyrillic script without a vowel are abbreviations (``ss``, ``см``) and dropped.
"""

from __future__ import annotations

import pickle
import unicodedata
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from babelscope.languages.registry import Language, find_language, get_language
from babelscope.languages.scripts import script_of

#: Version of the cleaning rules above; part of the lexicon version string.
RULES_VERSION: Final = "1"

DAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS: Final = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
# concept id -> CLDR unit key. Ids use the English word (British spelling for metric units).
UNITS: Final = {
    "century": "duration-century",
    "decade": "duration-decade",
    "year": "duration-year",
    "quarter": "duration-quarter",
    "month": "duration-month",
    "week": "duration-week",
    "day": "duration-day",
    "hour": "duration-hour",
    "minute": "duration-minute",
    "second": "duration-second",
    "millisecond": "duration-millisecond",
    "microsecond": "duration-microsecond",
    "nanosecond": "duration-nanosecond",
    "kilometre": "length-kilometer",
    "metre": "length-meter",
    "decimetre": "length-decimeter",
    "centimetre": "length-centimeter",
    "millimetre": "length-millimeter",
    "micrometre": "length-micrometer",
    "nanometre": "length-nanometer",
    "mile": "length-mile",
    "yard": "length-yard",
    "foot": "length-foot",
    "inch": "length-inch",
    "fathom": "length-fathom",
    "tonne": "mass-tonne",
    "kilogram": "mass-kilogram",
    "gram": "mass-gram",
    "milligram": "mass-milligram",
    "microgram": "mass-microgram",
    "pound": "mass-pound",
    "ounce": "mass-ounce",
    "carat": "mass-carat",
    "hectolitre": "volume-hectoliter",
    "litre": "volume-liter",
    "decilitre": "volume-deciliter",
    "centilitre": "volume-centiliter",
    "millilitre": "volume-milliliter",
    "gallon": "volume-gallon",
    "cup": "volume-cup",
    "teaspoon": "volume-teaspoon",
    "tablespoon": "volume-tablespoon",
    "drop": "volume-drop",
    "pinch": "volume-pinch",
    "barrel": "volume-barrel",
    "hectare": "area-hectare",
    "acre": "area-acre",
    "degree": "angle-degree",
    "revolution": "angle-revolution",
    "percent": "concentr-percent",
    "calorie": "energy-calorie",
    "kilocalorie": "energy-kilocalorie",
    "byte": "digital-byte",
    "pixel": "graphics-pixel",
    "knot": "speed-knot",
    "volt": "electric-volt",
    "watt": "power-watt",
    "horsepower": "power-horsepower",
}
# concept id -> CLDR day-period key; only the periods whose meaning is the same in every locale.
PERIODS: Final = {"midnight": "midnight", "noon": "noon"}
# duration unit -> the date field whose relative-time phrases must contain a short-form word.
_DATE_FIELDS: Final = {
    "duration-year": "year",
    "duration-quarter": "quarter",
    "duration-month": "month",
    "duration-week": "week",
    "duration-day": "day",
    "duration-hour": "hour",
    "duration-minute": "minute",
    "duration-second": "second",
}
_CLASSIFIERS: Final = {"zho": ("个", "個"), "yue": ("个", "個")}
_UNSPACED_SCRIPTS: Final = frozenset(
    {"Hans", "Hant", "Jpan", "Thai", "Khmr", "Laoo", "Mymr", "Tibt"}
)
_VOWELS: Final = frozenset("aeiouyw" + "аеёиоуыэюяіїєөүұә")
_ELIDED_DE: Final = ("d’", "d'")  # Catalan/Occitan/Asturian format months: "d’abril"
_PUNCTUATION: Final = "\"'“”‘’«»()[]{},.;:!?¿¡-–—،؛"
LISTS: Final = {"and": "standard", "or": "or"}

#: All concept ids, in presentation order.
CONCEPTS: Final = tuple(dict.fromkeys([*DAYS, *MONTHS, *UNITS, *PERIODS, *LISTS]))

# Language subtags of CLDR locales whose data is another variety than the FLORES code they would
# resolve to: CLDR ff is Pulaar (fuc), FLORES fuv_Latn is Nigerian Fulfulde.
_DENY: Final = frozenset({"ff"})
# Locale choices that the generic "shortest locale id" rule gets wrong.
_OVERRIDES: Final = {
    "nob_Latn": "no",  # CLDR 46+ keeps Bokmål data in "no"; "nb" only inherits it
    "tzm_Tfng": "zgh",  # CLDR tzm is Latin-script; FLORES tzm_Tfng is Standard Moroccan Tamazight
    "prs_Arab": "fa_AF",  # Dari: the Afghan Persian locale (inherits the shared Persian words)
}
_PLURAL_ORDER: Final = ("one", "other", "two", "few", "many", "zero")
_BIDI_MARKS: Final = dict.fromkeys(
    map(ord, "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)
_SPACES: Final = dict.fromkeys(map(ord, "\u00a0\u202f\u2007\u200b"), " ")
_CASED_SCRIPTS: Final = frozenset({"Latn", "Cyrl", "Grek", "Armn"})
_TURKIC_I: Final = frozenset({"tur", "azj", "crh"})
_COMPATIBLE_SCRIPTS: Final = {
    "Hans": {"Hani"},
    "Hant": {"Hani"},
    "Jpan": {"Jpan", "Hani"},
    "Hang": {"Hang"},
}


@dataclass(frozen=True)
class _Found:
    """A raw CLDR value and the locale file it was read from."""

    value: Any
    source: str


class _Chain:
    """One locale's own data plus its CLDR parents, with alias resolution that mutates nothing."""

    def __init__(self, locale_id: str, files: _Files) -> None:
        self.locale_id = locale_id
        self.language = locale_id.split("_", maxsplit=1)[0]
        self._files = files
        self.names: list[str] = []
        name = locale_id
        while True:
            self.names.append(name)
            if name == "root":
                break
            name = files.parent(name)

    def get(self, path: tuple[Any, ...], _depth: int = 0) -> _Found | None:
        """Value at ``path`` from the nearest locale that has it, following CLDR aliases."""
        from babel.localedata import Alias

        if _depth > 10:  # an alias cycle would be a babel bug; do not loop forever
            return None
        for name in self.names:
            node: Any = self._files.load(name)
            for index, key in enumerate(path):
                if isinstance(node, Alias):
                    return self.get(tuple(node.keys) + path[index:], _depth + 1)
                if not isinstance(node, dict) or key not in node:
                    node = None
                    break
                node = node[key]
            if isinstance(node, Alias):
                return self.get(tuple(node.keys), _depth + 1)
            if node is not None:
                return _Found(node, name)
        return None

    def own(self, path: tuple[Any, ...]) -> str | None:
        """String at ``path`` if it comes from a locale of this language (not root, not a parent
        of another language such as French for Haitian Creole)."""
        found = self.get(path)
        if found is None or not isinstance(found.value, str):
            return None
        if found.source.split("_", maxsplit=1)[0] != self.language:
            return None
        return found.value


class _Files:
    """Unpickled locale files, read once per build (babel's own cache is left untouched)."""

    def __init__(self) -> None:
        from babel.core import get_global

        self._data: dict[str, dict[str, Any]] = {}
        self._parents: Mapping[str, str] = get_global("parent_exceptions")

    def load(self, name: str) -> dict[str, Any]:
        if name not in self._data:
            from babel.localedata import resolve_locale_filename

            # These are babel's packaged CLDR pickles, the same files babel itself unpickles.
            with Path(resolve_locale_filename(name)).open("rb") as handle:
                self._data[name] = pickle.load(handle)
        return self._data[name]

    def parent(self, name: str) -> str:
        """CLDR parent locale: explicit exception, else root for ``xx_Scrp``, else truncation.

        Babel sends ``xx_Scrp`` to root only when the script is not the language's likely one;
        :func:`locale_map` reads a script locale only when the bare ``xx`` is another variety
        (``zh_Hant``, ``ks_Deva``, ``az_Arab``), where the two rules agree.
        """
        explicit = self._parents.get(name)
        if explicit:
            return explicit
        parts = name.split("_")
        if len(parts) == 1 or (len(parts) == 2 and len(parts[1]) == 4):
            return "root"
        return "_".join(parts[:-1])


def locale_map() -> dict[str, str]:
    """FLORES code -> CLDR locale id whose data describes that variety.

    Only locale ids without a territory are considered (plus :data:`_OVERRIDES`); an id with a
    script must name the variety's own script, so ``sr_Latn`` is not filed under ``srp_Cyrl``.
    """
    from babel.localedata import locale_identifiers

    ids = sorted(locale_identifiers(), key=lambda lid: (lid.count("_"), lid))
    chosen: dict[str, str] = {}
    for lid in ids:
        parts = lid.split("_")
        if lid == "root" or parts[0] in _DENY or len(parts) > 2:
            continue
        if len(parts) == 2 and len(parts[1]) != 4:  # a territory, not a script
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lang = find_language(lid, strict_script=True)
        if lang is not None and lang.code not in chosen:
            chosen[lang.code] = lid
    chosen.update(_OVERRIDES)
    return dict(sorted(chosen.items()))


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(_BIDI_MARKS).translate(_SPACES)
    return " ".join(text.split())


def _pattern_word(pattern: str) -> str | None:
    """The text a unit pattern puts around its number: ``"{0} hours"`` -> ``"hours"``."""
    if "{1}" in pattern or pattern.count("{0}") > 1:
        return None
    head, _, tail = pattern.partition("{0}")
    head, tail = _normalise(head), _normalise(tail)
    if head and tail:
        return None
    return head or tail or None


def _list_word(pattern: str) -> str | None:
    """The conjunction of a list pattern: ``"{0} and {1}"`` -> ``"and"``."""
    if not pattern.startswith("{0}") or not pattern.endswith("{1}"):
        return None
    return _normalise(pattern[3:-3]) or None


def _lower(word: str, lang: Language) -> str:
    if lang.iso639_3 in _TURKIC_I:
        word = word.replace("I", "ı").replace("İ", "i")
    return word.lower()


def clean_word(
    raw: str, lang: Language, *, allow_multiword: bool = False, allow_single_letter: bool = False
) -> str | None:
    """Apply cleaning rules 1, 3, 5, 6 and 7 to one CLDR string; ``None`` if it is not a word."""
    text = _normalise(raw)
    if text.endswith(".") or text.startswith("-") or text.endswith("-"):
        return None
    while text and unicodedata.category(text[0])[0] in "PSC":
        text = text[1:]
    while text and unicodedata.category(text[-1])[0] in "PSC":
        text = text[:-1]
    text = text.strip()
    if lang.script == "Latn" and text.lower().startswith(_ELIDED_DE):
        text = text[2:]
    for classifier in _CLASSIFIERS.get(lang.iso639_3, ()):
        if text.startswith(classifier) and len(text) > len(classifier):
            text = text[len(classifier) :]
    if not text or any(unicodedata.category(ch) in ("Nd", "Ps", "Pe") or ch in "/." for ch in text):
        return None
    if " " in text and not allow_multiword:
        return None
    word = _lower(text, lang)
    script = script_of(word)
    if script not in _COMPATIBLE_SCRIPTS.get(lang.script, {lang.script}):
        return None
    letters = [ch for ch in word if unicodedata.category(ch)[0] == "L"]
    if len(letters) < 2 and script in _CASED_SCRIPTS and not allow_single_letter:
        return None
    return word


def _strip_shared_head(names: dict[int, str]) -> dict[int, str]:
    """Rule 4: drop a first word shared by all twelve month names (``Oṣù Ṣẹ́rẹ́`` -> ``Ṣẹ́rẹ́``)."""
    split = {key: _normalise(value).split(" ", 1) for key, value in names.items()}
    heads = {parts[0].lower() for parts in split.values()}
    if len(names) == 12 and len(heads) == 1 and all(len(parts) == 2 for parts in split.values()):
        return {key: parts[1] for key, parts in split.items()}
    return names


def _plural_forms(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for category in _PLURAL_ORDER:
            value = node.get(category)
            if isinstance(value, str):
                yield value


def _month_names(chain: _Chain, context: str) -> dict[int, str]:
    names = {m: chain.own(("months", context, "wide", m)) for m in range(1, 13)}
    found = {m: name for m, name in names.items() if name}
    return _strip_shared_head(found)


def _unit_words(chain: _Chain, key: str, width: str) -> list[str]:
    """Words of a unit's patterns (singular first) and display name at one width, own data only."""
    words: list[str] = []
    found = chain.get(("unit_patterns", key, width))
    if found is not None and found.source.split("_", maxsplit=1)[0] == chain.language:
        words += [word for word in map(_pattern_word, _plural_forms(found.value)) if word]
    display = chain.own(("unit_display_names", key, width))
    if display and words:
        words.append(display)
    return words


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)


def _relative_text(chain: _Chain, field: str) -> str:
    """All relative-time phrases of a date field (``"in {0} hours"``…), lower-cased, own data."""
    found = chain.get(("date_fields", field))
    if found is None or found.source.split("_", maxsplit=1)[0] != chain.language:
        return ""
    return "\n".join(_normalise(text).lower() for text in _strings(found.value))


def _phrase_tokens(phrases: str) -> set[str]:
    return {token.strip(_PUNCTUATION) for token in phrases.replace("{0}", " ").split()}


def _in_phrases(word: str, phrases: str, script: str) -> bool:
    """Whether ``word`` occurs in relative-time phrases: as a whole token where words are
    space-separated, as a substring in scripts written without spaces (``{0}小时后``)."""
    word = _normalise(word).lower()
    if script in _UNSPACED_SCRIPTS:
        return word in phrases
    return word in _phrase_tokens(phrases)


def _clipped(word: str, phrases: str, script: str) -> bool:
    """Whether ``word`` is a clipped form of a word of the phrases (Irish ``bl`` for ``bliana``)."""
    if script in _UNSPACED_SCRIPTS:
        return False
    word = _normalise(word).lower()
    return any(token != word and token.startswith(word) for token in _phrase_tokens(phrases))


def _has_vowel(word: str) -> bool:
    base = unicodedata.normalize("NFD", word.lower())
    return any(ch in _VOWELS for ch in base)


def _unit_candidates(chain: _Chain, key: str, lang: Language, symbols: frozenset[str]) -> list[str]:
    """Rule 2: long-pattern words, else short-pattern words that pass the abbreviation checks."""
    field = _DATE_FIELDS.get(key)
    phrases = _relative_text(chain, field) if field else ""
    words = [
        word
        for word in _unit_words(chain, key, "long")
        if _in_phrases(word, phrases, lang.script) or not _clipped(word, phrases, lang.script)
    ]
    if not words:
        words = _unit_words(chain, key, "short")
        if field is not None:
            words = [word for word in words if _in_phrases(word, phrases, lang.script)]
    if lang.script in ("Latn", "Cyrl"):  # "spbh", "см": a consonant cluster is an abbreviation
        words = [word for word in words if _has_vowel(word)]
    return [word for word in words if _normalise(word).lower() not in symbols]


def extract_locale(
    chain: _Chain,
    lang: Language,
    *,
    symbols: frozenset[str] = frozenset(),
    allow_multiword: bool = False,
) -> dict[str, list[str]]:
    """Concept -> cleaned words (primary first) for one CLDR locale.

    ``symbols`` are unit abbreviations (``km``, ``tsp``) that must never count as words.
    """
    raws: dict[str, list[str]] = {concept: [] for concept in CONCEPTS}
    for index, concept in enumerate(DAYS):
        for context in ("stand-alone", "format"):
            raws[concept].append(chain.own(("days", context, "wide", index)) or "")
    standalone, formatted = _month_names(chain, "stand-alone"), _month_names(chain, "format")
    for number, concept in enumerate(MONTHS, start=1):
        raws[concept] += [standalone.get(number, ""), formatted.get(number, "")]
    for concept, key in UNITS.items():
        raws[concept] += _unit_candidates(chain, key, lang, symbols)
    for concept, key in PERIODS.items():
        for context in ("stand-alone", "format"):
            raws[concept].append(chain.own(("day_periods", context, "wide", key)) or "")
    result: dict[str, list[str]] = {}
    for concept, texts in raws.items():
        _add(result, concept, texts, lang, allow_multiword=allow_multiword)
    for concept, key in LISTS.items():
        patterns = [chain.own(("list_patterns", key, pos)) or "" for pos in ("2", "end")]
        texts = [_list_word(pattern) or "" for pattern in patterns]
        _add(result, concept, texts, lang, allow_multiword=allow_multiword, single_letter=True)
    return result


def _add(
    result: dict[str, list[str]],
    concept: str,
    texts: list[str],
    lang: Language,
    *,
    allow_multiword: bool,
    single_letter: bool = False,
) -> None:
    """Clean ``texts`` and append the new words to ``result[concept]`` (order kept, no repeats)."""
    words = result.setdefault(concept, [])
    for text in texts:
        word = clean_word(
            text, lang, allow_multiword=allow_multiword, allow_single_letter=single_letter
        )
        if word and word not in words:
            words.append(word)
    if not words:
        del result[concept]


def build_entries(*, allow_multiword: bool = False) -> dict[str, dict[str, list[str]]]:
    """Concept -> FLORES code -> words for every CLDR locale that maps to a FLORES variety."""
    files = _Files()
    english_chain, root_chain = _Chain("en", files), _Chain("root", files)
    english = extract_locale(english_chain, get_language("eng_Latn"))
    english_words = {word for words in english.values() for word in words}
    english_long = {
        _normalise(word).lower()
        for key in UNITS.values()
        for word in _unit_words(english_chain, key, "long")
    }
    symbols = (
        frozenset(
            _normalise(word).lower()
            for key in UNITS.values()
            for chain in (english_chain, root_chain)
            for word in _unit_words(chain, key, "short")
        )
        - english_long
    )
    entries: dict[str, dict[str, list[str]]] = {concept: {} for concept in CONCEPTS}
    for code, locale_id in locale_map().items():
        lang = get_language(code)
        chain = _Chain(locale_id, files)
        extracted = extract_locale(chain, lang, symbols=symbols, allow_multiword=allow_multiword)
        for concept, words in extracted.items():
            if lang.script != "Latn":  # English leftovers in a non-Latin locale are not words
                words = [word for word in words if word not in english_words]
            if words:
                entries[concept][code] = words
    return {concept: langs for concept, langs in entries.items() if langs}
