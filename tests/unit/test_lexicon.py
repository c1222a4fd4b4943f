"""The CLDR-derived built-in lexicon, the Lexicon API and user lexicon files."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from babelscope.data import lexicon as lexicon_module
from babelscope.data._lexicon_cldr import CONCEPTS, clean_word, locale_map
from babelscope.data.lexicon import Lexicon, builtin_lexicon, lexicon_version, load_lexicon
from babelscope.errors import DataError, LanguageError
from babelscope.languages.registry import all_languages, get_language
from babelscope.languages.scripts import script_of


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return builtin_lexicon()


# -- built-in lexicon: known answers -------------------------------------------------------


def test_known_words(lexicon: Lexicon) -> None:
    assert lexicon.words("monday", "fr") == ["lundi"]
    assert lexicon.primary("monday", "de") == "montag"  # built-in words are lower-cased
    assert lexicon.primary("january", "ru") == "январь"  # stand-alone (nominative) first
    assert "января" in lexicon.words("january", "rus_Cyrl")  # format (genitive) as a variant
    assert lexicon.primary("monday", "zh") == "星期一"
    assert lexicon.primary("hour", "zh") == "小时"
    assert lexicon.primary("month", "zho_Hans") == "月"  # measure word 个 removed
    assert lexicon.primary("hour", "de") == "stunde"
    assert "stunden" in lexicon.words("hour", "de")
    assert lexicon.primary("hour", "sw") == "saa"  # from the short pattern, vouched by "saa {0}"
    assert lexicon.primary("and", "es") == "y"  # single-letter conjunction kept
    assert lexicon.primary("or", "fr") == "ou"
    assert lexicon.primary("kilogram", "fr") == "kilogramme"
    assert lexicon.primary("monday", "tr") == "pazartesi"
    assert lexicon.primary("august", "tr") == "ağustos"


def test_turkish_dotted_capital_i_lowercases_the_turkish_way() -> None:
    turkish = get_language("tur_Latn")
    assert clean_word("İstanbul", turkish) == "istanbul"
    assert clean_word("IRMAK", turkish) == "ırmak"
    assert clean_word("IRMAK", get_language("eng_Latn")) == "irmak"


def test_yoruba_has_no_inherited_placeholder_months(lexicon: Lexicon) -> None:
    yoruba = [word for concept in CONCEPTS for word in lexicon.words(concept, "yor_Latn")]
    assert yoruba, "Yoruba should have CLDR words"
    assert not any(re.search(r"\d|月", word) for word in yoruba)
    # shared head word "Oṣù" ("month") stripped from every month name
    assert lexicon.primary("january", "yo") == "ṣẹ́rẹ́"


def test_no_entry_is_numeric_abbreviated_multiword_or_root_placeholder(lexicon: Lexicon) -> None:
    placeholders = {"m01", "m12", "mon", "sun", "or", "and"}
    for concept, code, words in lexicon.entries():
        lang = get_language(code)
        for word in words:
            assert word == word.strip() and word, (concept, code, word)
            assert not any(ch.isdigit() for ch in word), (concept, code, word)
            assert " " not in word and "." not in word, (concept, code, word)
            assert word not in placeholders or lang.script == "Latn", (concept, code, word)
            if lang.script in ("Latn", "Cyrl", "Grek", "Armn"):
                assert word == word.lower(), (concept, code, word)


def test_words_are_in_the_language_script(lexicon: Lexicon) -> None:
    allowed = {"Hans": {"Hani"}, "Hant": {"Hani"}, "Jpan": {"Jpan", "Hani"}}
    for concept, code, words in lexicon.entries():
        script = get_language(code).script
        for word in words:
            assert script_of(word) in allowed.get(script, {script}), (concept, code, word)


def test_non_latin_languages_have_no_english_leftovers(lexicon: Lexicon) -> None:
    english = {w for c in lexicon.concepts() for w in lexicon.words(c, "eng_Latn")}
    assert {"monday", "hour", "january"} <= english
    for concept, code, words in lexicon.entries():
        if get_language(code).script != "Latn":
            assert not english & set(words), (concept, code, words)


def test_coverage_targets(lexicon: Lexicon) -> None:
    assert len(lexicon.concepts()) >= 60
    assert len(lexicon.languages()) >= 100
    coverage = lexicon.coverage()
    assert sum(count >= 60 for count in coverage.values()) >= 80
    flores = {lang.code for lang in all_languages(include_extra=True)}
    assert set(lexicon.languages()) <= flores
    per_concept = lexicon.concept_coverage()
    assert all(per_concept[day] >= 130 for day in ("monday", "sunday"))
    assert per_concept["hour"] >= 100


def test_locale_map_respects_scripts_and_overrides() -> None:
    mapping = locale_map()
    assert mapping["zho_Hans"] == "zh"
    assert mapping["zho_Hant"] == "zh_Hant"
    assert mapping["tzm_Tfng"] == "zgh"
    assert mapping["nob_Latn"] == "no"
    assert mapping["prs_Arab"] == "fa_AF"
    assert "fuv_Latn" not in mapping  # CLDR ff is Pulaar, a different Fula
    assert "sr_Latn" not in mapping.values()
    assert "hi_Latn" not in mapping.values()


def test_haitian_does_not_inherit_french_words(lexicon: Lexicon) -> None:
    # CLDR's ht falls back to fr_HT; those French words are not Haitian Creole.
    assert lexicon.words("monday", "hat_Latn") == []


def test_builtin_is_cached_and_deterministic(lexicon: Lexicon) -> None:
    # No wall-clock bound here: speed targets live in bench/, and this one failed under load.
    assert builtin_lexicon() is lexicon
    builtin_lexicon.cache_clear()
    rebuilt = builtin_lexicon()
    assert rebuilt is not lexicon
    assert rebuilt == lexicon
    assert rebuilt.fingerprint() == lexicon.fingerprint()


def test_build_ignores_babel_cache_pollution(lexicon: Lexicon) -> None:
    """babel.Locale writes resolved aliases into shared dicts, so reading ja first makes other
    locales' stand-alone months "1月". The lexicon reads CLDR files itself and is unaffected."""
    code = (
        "from babel import Locale\n"
        "for loc in ['ja', 'ar', 'yo', 'ko']:\n"
        "    Locale.parse(loc).months['stand-alone']['wide'][1]\n"
        "from babelscope.data.lexicon import builtin_lexicon\n"
        "print(builtin_lexicon().fingerprint())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == lexicon.fingerprint()


def test_version_names_babel_cldr_and_rules(lexicon: Lexicon) -> None:
    version = lexicon_module.LEXICON_VERSION
    assert re.fullmatch(r"cldr\d+-babel[\d.]+-rules\d+", version)
    assert lexicon.version == version == lexicon_version()
    assert builtin_lexicon(allow_multiword=True).version.endswith("-multiword")
    with pytest.raises(AttributeError):
        _ = lexicon_module.NOT_A_THING  # type: ignore[attr-defined]


def test_multiword_mode_adds_entries(lexicon: Lexicon) -> None:
    wide = builtin_lexicon(allow_multiword=True)
    assert len(wide) > len(lexicon)
    assert any(" " in word for _, _, words in wide.entries() for word in words)


# -- Lexicon API ---------------------------------------------------------------------------


def test_words_accept_any_language_spelling_and_reject_unknown_concepts(lexicon: Lexicon) -> None:
    assert lexicon.words("monday", "French") == lexicon.words("monday", "fra_Latn")
    assert lexicon.words("monday", "hat_Latn") == []
    with pytest.raises(DataError, match="did you mean monday"):
        lexicon.words("mondy", "fr")
    with pytest.raises(LanguageError):
        lexicon.words("monday", "xx-nope")


def test_to_frame_is_tidy(lexicon: Lexicon) -> None:
    frame = lexicon.to_frame()
    assert list(frame.columns) == ["concept", "language", "rank", "word"]
    assert len(frame) == sum(len(words) for _, _, words in lexicon.entries())
    french = frame[(frame.concept == "monday") & (frame.language == "fra_Latn")]
    assert french.word.tolist() == ["lundi"]
    assert french["rank"].tolist() == [0]


def test_restrict_and_merge() -> None:
    base = Lexicon({"monday": {"fr": ["lundi"], "de": ["montag"]}, "hour": {"fr": ["heure"]}})
    assert base.languages() == ["deu_Latn", "fra_Latn"]
    assert base.coverage() == {"deu_Latn": 1, "fra_Latn": 2}
    only_fr = base.restrict(languages=["fra_Latn"])
    assert only_fr.languages() == ["fra_Latn"]
    assert base.restrict(min_languages=2).concepts() == ["monday"]
    assert base.restrict(concepts=["hour"]).concepts() == ["hour"]
    with pytest.raises(DataError):
        base.restrict(concepts=["nope"])
    user = Lexicon({"monday": {"fra_Latn": ["Lundi"]}, "tuesday": {"fr": ["mardi"]}})
    replaced = base.merge(user)
    assert replaced.words("monday", "fr") == ["Lundi"]
    assert replaced.words("monday", "de") == ["montag"]
    assert replaced.concepts() == ["monday", "hour", "tuesday"]
    appended = base.merge(user, replace=False)
    assert appended.words("monday", "fr") == ["lundi", "Lundi"]


def test_constructor_validates_and_dedups() -> None:
    lex = Lexicon({"monday": {"fr": ["lundi", " lundi ", "Lundi"], "fra_Latn": ["lun"]}})
    assert lex.words("monday", "fr") == ["lundi", "Lundi", "lun"]
    with pytest.raises(DataError):
        Lexicon({"monday": {"fr": [""]}})
    with pytest.raises(LanguageError):
        Lexicon({"monday": {"klingon-xx": ["x"]}})


def test_save_and_load_round_trip(tmp_path: Path, lexicon: Lexicon) -> None:
    small = lexicon.restrict(languages=["fr", "ru", "zh", "ar"])
    path = small.save(tmp_path / "lex.tsv")
    loaded = load_lexicon(path)
    assert loaded == small
    assert loaded.version.startswith("file:lex.tsv@sha256:")
    with pytest.raises(DataError, match="contains"):
        Lexicon({"x": {"fr": ["a|b"]}}).save(tmp_path / "bad.tsv")


# -- user files ----------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_csv_with_synonyms_comments_and_any_language_form(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "words.csv",
        "Concept, Language, Word, Synonyms, note\n"
        "# a comment line\n"
        "dog,fr,chien,clebs|toutou,informal ones\n"
        "\n"
        "dog,deu_Latn,Hund,,\n"
        'dog,zh-Hans,狗,"犬",\n'
        "dog,fra,cabot,,\n",
    )
    lex = load_lexicon(path)
    assert lex.concepts() == ["dog"]
    assert lex.words("dog", "fra_Latn") == ["chien", "clebs", "toutou", "cabot"]
    assert lex.words("dog", "de") == ["Hund"]
    assert lex.words("dog", "zho_Hans") == ["狗", "犬"]


def test_load_tsv_without_synonyms_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "words.tsv", "language\tconcept\tword\nfr\tcat\tchat\n")
    assert load_lexicon(path).words("cat", "fr") == ["chat"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("concept,language,word\ndog,fr,chien\ndog,de\n", r"line 3: missing column 'word'"),
        ("concept,language,word\ndog,fr,chien\ndog,de,  \n", r"line 3: empty word"),
        ("concept,language,word\n,fr,chien\n", r"line 2: empty concept"),
        (
            "concept,language,word\ndog,fr,chien\n\ndog,frx,chien\n",
            r"line 4: unknown language 'frx'.*fra_Latn",
        ),
        ("concept,language,word\ndog,fr,chien,extra\n", r"line 2: 4 fields but the header has 3"),
        ("monday,fr,lundi\n", r"line 1: header lacks column"),
        ("concept,language\ndog,fr\n", r"line 1: header lacks column 'word'"),
        ("concept,language,word\n", r"no entries"),
        ("", r"empty file"),
    ],
)
def test_malformed_files_name_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, "bad.csv", text)
    with pytest.raises(DataError) as caught:
        load_lexicon(path)
    message = str(caught.value)
    assert str(path) in message
    assert re.search(expected, message), message


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_lexicon(tmp_path / "nope.csv")
    path = tmp_path / "latin1.csv"
    path.write_bytes("concept,language,word\ndog,fr,ch\xeful\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        load_lexicon(path)
