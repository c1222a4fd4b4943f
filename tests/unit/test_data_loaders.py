"""FLORES-200 / SIB-200 loaders: the real archives by path, plus hand-made broken fixtures.

The archives live outside the repository (licence: their text must not be committed), at
``../shared/data`` relative to the repository root; tests that need them skip without them.
Each archive is opened once per module: a compressed tarball is read in one ~0.5 s pass.
"""

from __future__ import annotations

import io
import sys
import tarfile
from pathlib import Path

import pytest

from babelscope.data._common import close_codes, hash_texts, split_lines
from babelscope.data.flores import FloresDataset
from babelscope.data.hub import datasets_module
from babelscope.data.sib import Sib200Dataset
from babelscope.data.spec import parse_data_spec
from babelscope.errors import DataError

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
FLORES_TAR = DATA / "flores200_dev.tar.xz"
SIB_TAR = DATA / "sib200_train_dev.tar.xz"


def _require(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(
            f"{path.name} not found at {path.parent} (the shared data folder beside the repo)"
        )
    return path


def _extract(archive: Path, target: Path) -> Path:
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target


@pytest.fixture(scope="module")
def flores_tar() -> FloresDataset:
    dataset = FloresDataset.open(_require(FLORES_TAR))
    dataset.languages("dev")  # the one decompression pass, paid once for the module
    return dataset


@pytest.fixture(scope="module")
def flores_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _extract(_require(FLORES_TAR), tmp_path_factory.mktemp("flores"))


@pytest.fixture(scope="module")
def sib_tar() -> Sib200Dataset:
    dataset = Sib200Dataset.open(_require(SIB_TAR))
    dataset.languages()
    return dataset


# ---------------------------------------------------------------- the real FLORES-200 dev


def test_flores_archive_has_204_parallel_languages(flores_tar: FloresDataset) -> None:
    languages = flores_tar.languages("dev")
    assert len(languages) == 204
    assert {"eng_Latn", "fra_Latn", "zho_Hans", "yor_Latn", "arb_Arab"} <= set(languages)
    assert flores_tar.splits() == ["dev"]
    assert flores_tar.num_sentences("dev") == 997
    flores_tar.validate("dev")  # every file decodes and has 997 lines
    french = flores_tar.sentences("fra_Latn", "dev")
    assert len(french) == 997
    assert isinstance(french[0], str) and french[0].strip()
    assert french[0] != flores_tar.sentences("eng_Latn")[0]


def test_flores_metadata_describes_each_sentence(flores_tar: FloresDataset) -> None:
    assert flores_tar.has_metadata("dev")
    table = flores_tar.metadata("dev")
    assert len(table) == 997
    assert {"URL", "domain", "topic"} <= set(table.columns)


def test_flores_n_and_flores_plus_aliases(flores_tar: FloresDataset) -> None:
    assert flores_tar.sentences("fra_Latn", n=5) == flores_tar.sentences("fra_Latn")[:5]
    assert flores_tar.sentences("fra_Latn", n=0) == []
    assert flores_tar.resolve("cmn_Hans") == "zho_Hans"
    assert flores_tar.sentences("cmn_Hans", n=3) == flores_tar.sentences("zho_Hans", n=3)


def test_flores_directory_and_tarball_agree(flores_tar: FloresDataset, flores_dir: Path) -> None:
    for source in (flores_dir, flores_dir / "flores200_dataset"):
        unpacked = FloresDataset.open(source)
        assert unpacked.languages("dev") == flores_tar.languages("dev")
        for lang in unpacked.languages("dev"):
            assert unpacked.sentences(lang) == flores_tar.sentences(lang), lang
    langs = ["fra_Latn", "eng_Latn", "yor_Latn"]
    assert FloresDataset.open(flores_dir).data_hash(langs, n=50) == flores_tar.data_hash(
        langs, n=50
    )


def test_data_hash_is_order_free_and_content_bound(flores_tar: FloresDataset) -> None:
    digest = flores_tar.data_hash(["fra_Latn", "eng_Latn"], n=10)
    assert len(digest) == 64
    assert digest == flores_tar.data_hash(["eng_Latn", "fra_Latn"], n=10)
    assert digest != flores_tar.data_hash(["fra_Latn", "eng_Latn"], n=11)
    assert digest != flores_tar.data_hash(["fra_Latn", "deu_Latn"], n=10)
    assert hash_texts({"a": ["x", "y"]}) != hash_texts({"a": ["xy"]})
    assert hash_texts({"a": ["x"], "b": []}) != hash_texts({"a": [], "b": ["x"]})


def test_flores_errors_on_the_real_archive(flores_tar: FloresDataset) -> None:
    with pytest.raises(DataError, match="no split 'devtest'") as bad_split:
        flores_tar.sentences("fra_Latn", "devtest")
    assert "dev" in (bad_split.value.fix or "")
    with pytest.raises(DataError, match="'fr_Latn' is not in FLORES") as missing:
        flores_tar.sentences("fr_Latn")
    assert "fra_Latn" in (missing.value.fix or "")
    with pytest.raises(DataError, match="asked for 998 sentences"):
        flores_tar.sentences("fra_Latn", n=998)


# ---------------------------------------------------------------- the real SIB-200


def test_sib_archive_shape(sib_tar: Sib200Dataset) -> None:
    assert len(sib_tar.languages()) == 205
    assert sib_tar.splits() == ["train", "dev"]
    train, dev = sib_tar.split("fra_Latn", "train"), sib_tar.split("fra_Latn", "dev")
    assert (len(train), len(dev)) == (701, 99)
    assert list(train.columns) == ["index_id", "category", "text"]
    assert str(train["index_id"].dtype) == "int64"
    labels = sib_tar.labels()
    assert len(labels) == 7 and "science/technology" in labels
    assert set(train["category"]) <= set(labels)
    assert train["index_id"].tolist() == sib_tar.split("yor_Latn")["index_id"].tolist()
    assert len(sib_tar.split("nqo_Nkoo", "dev")) == 99  # in SIB-200 but not in FLORES-200
    assert sib_tar.texts("fra_Latn", "dev", n=4) == dev["text"].tolist()[:4]


def test_sib_texts_are_flores_sentences(sib_tar: Sib200Dataset, flores_tar: FloresDataset) -> None:
    """SIB quotes fields CSV-style; parsed right, its texts equal the FLORES lines exactly."""
    for lang in ("eng_Latn", "fra_Latn"):
        flores = flores_tar.sentences(lang)
        rows = sib_tar.split(lang, "train")
        in_dev = rows[rows["index_id"] < len(flores)]
        assert len(in_dev) > 300
        assert in_dev["text"].tolist() == [flores[i] for i in in_dev["index_id"]]
        if lang == "eng_Latn":  # English uses ASCII quotes, which the TSV wraps and doubles
            assert any('"' in t for t in in_dev["text"])


def test_sib_directory_and_tarball_agree(
    sib_tar: Sib200Dataset, tmp_path_factory: pytest.TempPathFactory
) -> None:
    unpacked = Sib200Dataset.open(_extract(_require(SIB_TAR), tmp_path_factory.mktemp("sib")))
    assert unpacked.languages() == sib_tar.languages()
    for lang in ("eng_Latn", "zho_Hans", "ace_Arab"):
        for split in ("train", "dev"):
            assert unpacked.split(lang, split).equals(sib_tar.split(lang, split))
    assert unpacked.data_hash(["fra_Latn"], "dev") == sib_tar.data_hash(["fra_Latn"], "dev")


def test_sib_errors_on_the_real_archive(sib_tar: Sib200Dataset) -> None:
    with pytest.raises(DataError, match="no split 'test'") as bad_split:
        sib_tar.split("fra_Latn", "test")
    assert "train, dev" in (bad_split.value.fix or "")
    with pytest.raises(DataError, match="not in SIB-200"):
        sib_tar.split("french")


def test_parse_data_spec_opens_local_sources() -> None:
    assert isinstance(parse_data_spec(f"flores200:{_require(FLORES_TAR)}"), FloresDataset)
    assert isinstance(parse_data_spec(f"sib200:{_require(SIB_TAR)}"), Sib200Dataset)


# ---------------------------------------------------------------- hand-made fixtures


def _write_flores(root: Path, files: dict[str, bytes], split: str = "dev") -> Path:
    (root / split).mkdir(parents=True)
    for code, data in files.items():
        (root / split / f"{code}.{split}").write_bytes(data)
    return root


@pytest.fixture
def tiny_flores(tmp_path: Path) -> Path:
    return _write_flores(
        tmp_path / "tiny",
        {
            "aaa_Latn": b"one\ntwo\nthree\n",
            "bbb_Latn": b"uno\ndos\ntres\n",
            "eng_Latn": b"1\n2\n3\n",
        },
    )


def test_tiny_flores_reads_from_directory_and_targz(tiny_flores: Path, tmp_path: Path) -> None:
    archive = tmp_path / "tiny.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tiny_flores, arcname="flores200_dataset")
    for source in (tiny_flores, archive):
        dataset = FloresDataset.open(source)
        assert dataset.languages() == ["aaa_Latn", "bbb_Latn", "eng_Latn"]
        assert dataset.sentences("bbb_Latn") == ["uno", "dos", "tres"]
        assert dataset.num_sentences() == 3
        assert not dataset.has_metadata()
        with pytest.raises(DataError, match=r"no metadata_dev\.tsv"):
            dataset.metadata()


def test_missing_language_suggests_close_codes(tiny_flores: Path) -> None:
    with pytest.raises(DataError, match="'aaa_Latm' is not in FLORES dev") as err:
        FloresDataset.open(tiny_flores).sentences("aaa_Latm")
    assert "aaa_Latn" in (err.value.fix or "")
    assert close_codes("zho", ["zho_Hans", "zho_Hant", "fra_Latn"]) == ["zho_Hans", "zho_Hant"]


def test_missing_split_lists_existing_ones(tiny_flores: Path) -> None:
    with pytest.raises(DataError, match="no split 'devtest'") as err:
        FloresDataset.open(tiny_flores).languages("devtest")
    assert err.value.fix == "use one of: dev"


def test_line_count_mismatch_is_refused(tiny_flores: Path) -> None:
    (tiny_flores / "dev" / "bbb_Latn.dev").write_bytes(b"uno\ndos\n")
    dataset = FloresDataset.open(tiny_flores)
    assert dataset.sentences("aaa_Latn") == ["one", "two", "three"]
    with pytest.raises(DataError, match=r"bbb_Latn\.dev has 2 lines but .*eng_Latn\.dev has 3"):
        dataset.sentences("bbb_Latn")
    with pytest.raises(DataError, match="must be parallel"):
        dataset.validate()


def test_metadata_row_count_is_the_reference(tiny_flores: Path) -> None:
    (tiny_flores / "metadata_dev.tsv").write_text("URL\tdomain\nu1\td\nu2\td\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"metadata_dev\.tsv has 2"):
        FloresDataset.open(tiny_flores).sentences("aaa_Latn")


def test_non_utf8_text_names_file_and_line(tiny_flores: Path) -> None:
    (tiny_flores / "dev" / "bbb_Latn.dev").write_bytes(b"uno\nd\xffos\ntres\n")
    with pytest.raises(DataError, match=r"bbb_Latn\.dev line 2 is not valid UTF-8") as err:
        FloresDataset.open(tiny_flores).sentences("bbb_Latn")
    assert "UTF-8" in (err.value.fix or "")


def test_too_many_sentences(tiny_flores: Path) -> None:
    dataset = FloresDataset.open(tiny_flores)
    with pytest.raises(DataError, match=r"asked for 4 sentences .* only 3") as err:
        dataset.sentences("aaa_Latn", n=4)
    assert "n <= 3" in (err.value.fix or "")
    with pytest.raises(DataError, match="asked for -1"):
        dataset.sentences("aaa_Latn", n=-1)


def test_bad_sources(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        FloresDataset.open(tmp_path / "nowhere")
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(DataError, match="neither a directory nor a tar archive"):
        FloresDataset.open(tmp_path / "notes.txt")
    (tmp_path / "broken.tar.xz").write_bytes(b"not really xz")
    with pytest.raises(DataError, match="cannot read archive"):
        FloresDataset.open(tmp_path / "broken.tar.xz").languages()
    with pytest.raises(DataError, match="no FLORES-200 split folders"):
        FloresDataset.open(tmp_path).languages()


def test_lines_split_only_on_newline() -> None:
    assert split_lines("a\u2028b\r\nc\n") == ["a\u2028b", "c"]
    assert split_lines("") == []
    assert split_lines("only") == ["only"]


def _write_sib(root: Path, rows: dict[str, str]) -> Path:
    for code, body in rows.items():
        (root / code).mkdir(parents=True)
        (root / code / "train.tsv").write_text(body, encoding="utf-8")
        (root / code / "labels.txt").write_text("x\ny\n", encoding="utf-8")
    return root


def test_tiny_sib_errors(tmp_path: Path) -> None:
    header = "index_id\tcategory\ttext\n"
    _write_sib(
        tmp_path / "sib200",
        {
            "eng_Latn": header + '1\tx\t"""Quoted"" start"\n2\ty\tplain\n',
            "aaa_Latn": header + "2\ty\tuno\n1\tx\tdos\n",
            "bbb_Latn": header + "1\tx\tuno\n",
            "ccc_Latn": "id\tlabel\n1\tx\n",
        },
    )
    dataset = Sib200Dataset.open(tmp_path)
    assert dataset.labels() == ["x", "y"]
    assert dataset.split("eng_Latn")["text"].tolist() == ['"Quoted" start', "plain"]
    with pytest.raises(DataError, match="row 0 has index_id 2"):
        dataset.split("aaa_Latn")
    with pytest.raises(DataError, match=r"has 1 rows but .* has 2"):
        dataset.split("bbb_Latn")
    with pytest.raises(DataError, match="lacks column"):
        dataset.split("ccc_Latn")
    with pytest.raises(DataError, match="no split 'dev'") as err:
        dataset.split("eng_Latn", "dev")
    assert err.value.fix == "use one of: train"
    with pytest.raises(DataError, match="asked for 3"):
        dataset.texts("eng_Latn", n=3)


# ---------------------------------------------------------------- specs and the hub


def test_parse_data_spec_errors(tmp_path: Path) -> None:
    for spec in ("flores", "wmt:somewhere", "sib200:"):
        with pytest.raises(DataError, match="data spec"):
            parse_data_spec(spec)
    with pytest.raises(DataError, match="does not exist"):
        parse_data_spec(f"sib200:{tmp_path / 'missing'}")


def test_hub_without_datasets_package_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setitem(sys.modules, "datasets", None)  # makes `import datasets` fail
    with pytest.raises(DataError, match="needs the 'datasets' package") as err:
        parse_data_spec("flores200:hub")
    assert "flores200:PATH" in (err.value.fix or "")


def test_hub_offline_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataError, match="offline"):
        datasets_module("Davlan/sib200")
    with pytest.raises(DataError, match="offline"):
        parse_data_spec("sib200:hub")


def test_tar_members_are_read_not_extracted(tmp_path: Path) -> None:
    """A member with a parent-relative name is ignored, never written anywhere."""
    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as tar:
        for name, data in (("dev/aaa_Latn.dev", b"a\n"), ("../escape/bbb_Latn.dev", b"b\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    dataset = FloresDataset.open(archive)
    assert dataset.languages() == ["aaa_Latn"]
    assert not (tmp_path.parent / "escape").exists()
