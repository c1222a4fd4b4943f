"""Language registry, code resolution, FLORES+ mapping and script detection."""

from __future__ import annotations

import tarfile
import warnings
from pathlib import Path

import pytest

from babelscope.errors import LanguageError
from babelscope.languages.flores_plus import (
    FLORES_PLUS_CODES,
    FLORES_PLUS_RENAMES,
    from_flores_plus,
    to_flores_plus,
)
from babelscope.languages.registry import (
    Language,
    all_languages,
    find_language,
    get_language,
    resolve_language,
    resolve_languages,
)
from babelscope.languages.scripts import script_of


def _archive_codes(archive: Path, pick: int, suffix: str = "") -> set[str]:
    with tarfile.open(archive) as tar:
        names = [member.name for member in tar.getmembers()]
    parts = [name.split("/") for name in names if len(name.split("/")) > pick]
    return {p[pick].removesuffix(suffix) for p in parts if p[pick].endswith(suffix) and p[pick]}


def test_registry_holds_exactly_the_204_flores_codes() -> None:
    languages = all_languages()
    codes = [lang.code for lang in languages]
    assert len(codes) == 204
    assert codes == sorted(codes)
    assert len(set(codes)) == 204
    assert "nqo_Nkoo" not in codes
    assert [lang.code for lang in all_languages(include_extra=True)].count("nqo_Nkoo") == 1


def test_codes_match_the_shipped_archives(shared_data: Path) -> None:
    flores = _archive_codes(shared_data / "flores200_dev.tar.xz", 2, ".dev")
    assert {lang.code for lang in all_languages()} == flores
    sib = _archive_codes(shared_data / "sib200_train_dev.tar.xz", 1)
    assert len(sib) == 205
    for code in sib:
        assert resolve_language(code).code == code


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("fr", "fra_Latn"),
        ("fra", "fra_Latn"),
        ("fra_Latn", "fra_Latn"),
        ("FRA-latn", "fra_Latn"),
        ("French", "fra_Latn"),
        ("luba-kasai", "lua_Latn"),
        ("Modern Standard Arabic", "arb_Arab"),
        ("fr-CA", "fra_Latn"),
        ("zh-Hans", "zho_Hans"),
        ("zh", "zho_Hans"),
        ("zh-CN", "zho_Hans"),
        ("zh-TW", "zho_Hant"),
        ("zh-HK", "zho_Hant"),
        ("zh-Hant", "zho_Hant"),
        ("cmn_Hans", "zho_Hans"),
        ("yue", "yue_Hant"),
        ("pt-BR", "por_Latn"),
        ("ar", "arb_Arab"),
        ("ara", "arb_Arab"),
        ("ar-Latn", "arb_Latn"),
        ("arz", "arz_Arab"),
        ("fa", "pes_Arab"),
        ("prs", "prs_Arab"),
        ("fa-AF", "prs_Arab"),
        ("ms", "zsm_Latn"),
        ("no", "nob_Latn"),
        ("nb", "nob_Latn"),
        ("nn", "nno_Latn"),
        ("sw", "swh_Latn"),
        ("et", "est_Latn"),
        ("ekk", "est_Latn"),
        ("lv", "lvs_Latn"),
        ("uz", "uzn_Latn"),
        ("mn", "khk_Cyrl"),
        ("sq", "als_Latn"),
        ("az", "azj_Latn"),
        ("az-Arab", "azb_Arab"),
        ("ps", "pbt_Arab"),
        ("om", "gaz_Latn"),
        ("mg", "plt_Latn"),
        ("qu", "quy_Latn"),
        ("ne", "npi_Deva"),
        ("ku", "kmr_Latn"),
        ("ckb", "ckb_Arab"),
        ("tl", "tgl_Latn"),
        ("fil", "tgl_Latn"),
        ("ks", "kas_Arab"),
        ("ks-Deva", "kas_Deva"),
        ("sd", "snd_Arab"),
        ("sr", "srp_Cyrl"),
        ("iw", "heb_Hebr"),
        ("ko-Kore", "kor_Hang"),
        ("twi_Latn_akua1239", "aka_Latn"),
        ("nqo", "nqo_Nkoo"),
    ],
)
def test_resolve_language(query: str, expected: str) -> None:
    assert resolve_language(query).code == expected


def test_every_macrolanguage_default_is_a_real_flores_code() -> None:
    flores = {lang.code for lang in all_languages()}
    for query in ["zh", "ar", "fa", "ms", "no", "sw", "et", "lv", "uz", "mn", "sq", "az", "ku"]:
        assert resolve_language(query).code in flores


def test_language_fields() -> None:
    french = resolve_language("fr")
    assert french == Language(
        code="fra_Latn",
        iso639_3="fra",
        iso639_1="fr",
        bcp47="fr",
        name="French",
        autonym="français",
        script="Latn",
    )
    chinese = resolve_language("zho_Hans")
    assert (chinese.bcp47, chinese.iso639_1, chinese.script) == ("zh-Hans", "zh", "Hans")
    assert resolve_language("srp_Cyrl").bcp47 == "sr-Cyrl"
    assert resolve_language("acm_Arab").iso639_1 is None
    assert str(french) == "fra_Latn (French)"


def test_every_entry_is_consistent() -> None:
    for lang in all_languages(include_extra=True):
        iso, script = lang.code.split("_")
        assert (lang.iso639_3, lang.script) == (iso, script)
        assert lang.name
        assert resolve_language(lang.code) is lang
        assert resolve_language(lang.name) is lang
        assert resolve_language(lang.bcp47).code == lang.code, lang


def test_unknown_language_names_the_code_and_suggests() -> None:
    with pytest.raises(LanguageError) as caught:
        resolve_language("frx")
    message = str(caught.value)
    assert "'frx'" in message
    assert "fra_Latn" in message
    assert "French" in message


def test_garbage_is_unknown_not_a_crash() -> None:
    for bad in ["", "???", "12345", "zzz_Latn"]:
        with pytest.raises(LanguageError):
            resolve_language(bad)


def test_missing_script_is_rejected_with_the_variety_flores_has() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one error, no UserWarning beside it
        with pytest.raises(LanguageError, match=r"'sr-Latn'.*did you mean srp_Cyrl"):
            resolve_language("sr-Latn")
    # data files keep the lenient lookup (with its warning); the lexicon's strict one is None
    with pytest.warns(UserWarning, match="no Latn variety of Serbian"):
        assert find_language("sr-Latn") == get_language("srp_Cyrl")


#: Every documented accepted form (README table): spelling -> FLORES-200 code.
ACCEPTED = {
    "fra_Latn": "fra_Latn",  # FLORES-200 code
    "FRA_LATN": "fra_Latn",  # case-insensitive
    "fra-Latn": "fra_Latn",  # "-" and "_" alike
    "cmn_Hans": "zho_Hans",  # FLORES+ code
    "fr": "fra_Latn",  # ISO 639-1
    "fra": "fra_Latn",  # ISO 639-3
    "fre": "fra_Latn",  # ISO 639-2/B (library catalogues, MARC)
    "ger": "deu_Latn",
    "chi": "zho_Hans",
    "zh-Hans": "zho_Hans",  # BCP-47 with script
    "zh-Hant": "zho_Hant",
    "ja-Jpan": "jpn_Jpan",
    "ko-Kore": "kor_Hang",  # an equivalent script code
    "zh-TW": "zho_Hant",  # BCP-47 with region: the region's likely script
    "pt-BR": "por_Latn",
    "fr-Latn-CA": "fra_Latn",
    "es-419": "spa_Latn",
    "zh": "zho_Hans",  # macrolanguage -> FLORES default
    "ar": "arb_Arab",
    "no": "nob_Latn",
    "fa-AF": "prs_Arab",  # curated alias
    "French": "fra_Latn",  # English name (FLORES name or common name)
    "english": "eng_Latn",
    "farsi": "pes_Arab",
}


@pytest.mark.parametrize(("spelling", "code"), sorted(ACCEPTED.items()))
def test_every_documented_form_is_accepted_without_a_warning(spelling: str, code: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve_language(spelling).code == code
        assert [lang.code for lang in resolve_languages(spelling)] == [code]


#: Near-misses: spelling -> the code the one-line error must suggest.
NEAR_MISSES = {
    "fra_Latm": "fra_Latn",  # a script that does not exist
    "zh-Hanz": "zho_Hans",
    "fra_Latnn": "fra_Latn",  # read by langcodes as a variant subtag
    "fr-Qaaa": "fra_Latn",  # private-use script
    "sr-Latn": "srp_Cyrl",  # a real script FLORES has no variety in
    "de-CH-1901": "deu_Latn",  # variants are not languages
    "frx": "fra_Latn",
}


@pytest.mark.parametrize(("spelling", "suggestion"), sorted(NEAR_MISSES.items()))
def test_near_misses_are_rejected_with_the_suggestion(spelling: str, suggestion: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(LanguageError) as caught:
            resolve_language(spelling)
        with pytest.raises(LanguageError):
            resolve_languages(f"de,{spelling}")
    message = str(caught.value)
    assert message.startswith(f"unknown language {spelling!r}")
    assert f"did you mean {suggestion}" in message and "\n" not in message


@pytest.mark.parametrize(
    "argv",
    [
        ["latent", "--model", "smollm2-135m", "--target", "fra_Latm"],
        ["latent", "--model", "smollm2-135m", "--pair", "translation:zh-Hanz:fr"],
        ["patch", "--model", "smollm2-135m", "--pair", "de:fra_Latm", "--into", "fr:zh"],
    ],
)
def test_cli_rejects_a_near_miss_in_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from babelscope.cli.main import main

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("babelscope: error: unknown language") and "\n" not in err
    assert "did you mean" in err


def test_exact_codes_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resolve_language("zho_Hant")
        resolve_language("zh-TW")


def test_resolve_languages_all_lists_and_dedup() -> None:
    assert len(resolve_languages("all")) == 204
    langs = resolve_languages("fr, deu_Latn,fra_Latn , zh")
    assert [lang.code for lang in langs] == ["fra_Latn", "deu_Latn", "zho_Hans"]
    assert [lang.code for lang in resolve_languages(["de", "fr,de"])] == ["deu_Latn", "fra_Latn"]


def test_resolve_languages_reports_every_unknown_code() -> None:
    with pytest.raises(LanguageError) as caught:
        resolve_languages("fr,frx,qqqq")
    assert "'frx'" in str(caught.value)
    assert "'qqqq'" in str(caught.value)
    with pytest.raises(LanguageError):
        resolve_languages(" , ")
    with pytest.raises(LanguageError, match="cannot be combined"):
        resolve_languages("all,fr")


def test_find_language_returns_none_and_can_be_strict_about_scripts() -> None:
    assert find_language("frx") is None
    assert find_language("fr") == resolve_language("fr")
    assert find_language("sr_Latn", strict_script=True) is None
    assert find_language("ks_Deva", strict_script=True) == get_language("kas_Deva")


def test_get_language_is_exact() -> None:
    assert get_language("deu_Latn").name == "German"
    with pytest.raises(LanguageError):
        get_language("de")


def test_flores_plus_mapping_round_trips() -> None:
    assert to_flores_plus("zho_Hans") == "cmn_Hans"
    assert to_flores_plus("fra_Latn") == "fra_Latn"
    assert from_flores_plus("cmn_Hant") == "zho_Hant"
    assert from_flores_plus("twi_Latn_asan1239") == "twi_Latn"
    assert resolve_language("zho_Hans").flores_plus_code == "cmn_Hans"
    assert set(FLORES_PLUS_RENAMES) <= set(FLORES_PLUS_CODES)
    assert len(set(FLORES_PLUS_CODES.values())) == len(FLORES_PLUS_CODES)
    for code, plus in FLORES_PLUS_CODES.items():
        assert from_flores_plus(plus) == code
    with pytest.raises(LanguageError):
        from_flores_plus("brx_Deva")  # FLORES+ only
    with pytest.raises(LanguageError):
        to_flores_plus("fr")


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("Montag", "Latn"),
        ("понедельник", "Cyrl"),
        ("الاثنين", "Arab"),
        ("星期一", "Hani"),
        ("月曜日に", "Jpan"),
        ("カタカナ", "Jpan"),
        ("월요일", "Hang"),
        ("सोमवार", "Deva"),
        ("সোমবার", "Beng"),
        ("δευτέρα", "Grek"),
        ("ᱚᱛᱮ", "Olck"),
        ("ⴰⵢⵏⴰⵙ", "Tfng"),
        ("ߞߐ߬ߓߊ߬ߟߏ߲", "Nkoo"),
        ("▁Montag", "Latn"),
        ("Ｍｏｎ", "Latn"),
        ("12:30 !", "Zyyy"),
        ("", "Zyyy"),
        ("ok да да", "Cyrl"),
    ],
)
def test_script_of(text: str, script: str) -> None:
    assert script_of(text) == script


def test_script_of_agrees_with_the_registry_for_autonyms() -> None:
    # Han characters alone cannot say simplified/traditional/Japanese: 日本語 is plain Hani.
    equivalent = {"Hans": {"Hani"}, "Hant": {"Hani"}, "Jpan": {"Jpan", "Hani"}}
    checked = 0
    for lang in all_languages(include_extra=True):
        if lang.autonym:
            assert script_of(lang.autonym) in equivalent.get(lang.script, {lang.script}), lang
            checked += 1
    assert checked > 150
