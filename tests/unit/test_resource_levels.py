"""User-supplied resource levels: parsing, code resolution, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from babelscope.errors import DataError
from babelscope.languages.resource_levels import read_resource_levels


def _write(tmp_path: Path, text: str, name: str = "levels.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_numeric_levels_resolve_any_code_spelling(tmp_path: Path) -> None:
    path = _write(tmp_path, "\ufeffLanguage,Level,source\nfra_Latn,5,x\nyo,2,x\nIrish,2,x\n\n")
    assert read_resource_levels(path) == {"fra_Latn": 5.0, "yor_Latn": 2.0, "gle_Latn": 2.0}


def test_tsv_text_levels_and_unknown_codes(tmp_path: Path) -> None:
    path = _write(tmp_path, "language\tlevel\nfr\thigh\nxx-nope\tlow\nmk\tlow\n", "l.tsv")
    with pytest.warns(UserWarning, match="1 unknown language code.*xx-nope"):
        levels = read_resource_levels(path)
    assert levels == {"fra_Latn": "high", "mkd_Cyrl": "low"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,class\nfr,5\n", "columns"),
        ("language,level\n", "no level"),
        ("language,level\nfr,5\nde,high\n", "mixes numeric and text"),
        ("language,level\nfr,5\nfra_Latn,4\n", "two|levels '5' and '4'"),
    ],
)
def test_bad_files_name_the_fix(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DataError, match=message) as info:
        read_resource_levels(_write(tmp_path, text))
    assert info.value.fix


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no resource-level file"):
        read_resource_levels(tmp_path / "absent.csv")
    path = tmp_path / "latin1.csv"
    path.write_bytes("language,level\nfr,\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match="UTF-8"):
        read_resource_levels(path)
