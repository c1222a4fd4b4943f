"""Resource levels supplied by the user, to colour and correlate rankings.

Whether a language is "low-resource" is a judgement about training data, which we cannot
measure from a model, and the published taxonomies (Joshi et al. 2020's classes 0–5, NLLB's
high/low split) each cover a different set of codes. So babelscope ships none and reads yours:
a CSV or TSV with a header row holding ``language`` and ``level`` columns, e.g.::

    language,level
    fra_Latn,5
    yor_Latn,2
    gle,2

Codes resolve like everywhere else (FLORES-200, FLORES+, ISO 639-1/3, BCP-47). Numeric levels
are treated as ordinal (Spearman ρ against every metric); text levels (``high``/``low``) only
colour the ranking chart.
"""

from __future__ import annotations

import csv
import os
import warnings
from pathlib import Path

from babelscope.errors import DataError
from babelscope.languages.registry import find_language

COLUMNS = ("language", "level")


def read_resource_levels(path: str | os.PathLike[str]) -> dict[str, str | float]:
    """FLORES code → level from a CSV/TSV file (numbers become floats).

    Raises:
        DataError: the file is missing or unreadable, lacks the two columns, has no rows,
            mixes numeric and text levels, or gives one language two different levels.
    """
    file = Path(path).expanduser()
    try:
        text = file.read_text("utf-8-sig")
    except FileNotFoundError as exc:
        raise DataError(f"no resource-level file {file}", fix="check the path") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(
            f"cannot read resource levels from {file} ({exc})", fix="save it as UTF-8 CSV or TSV"
        ) from exc
    delimiter = "\t" if "\t" in text.partition("\n")[0] else ","
    reader = csv.DictReader(text.splitlines(), delimiter=delimiter)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if not set(COLUMNS) <= set(header):
        raise DataError(
            f"{file} has columns {header or 'none'}",
            fix="give it a header row with 'language' and 'level' columns",
        )
    reader.fieldnames = header
    raw: dict[str, str] = {}
    unknown: list[str] = []
    for line, row in enumerate(reader, start=2):
        code, level = (row.get("language") or "").strip(), (row.get("level") or "").strip()
        if not code or not level:
            continue
        language = find_language(code)
        if language is None:
            unknown.append(code)
            continue
        if raw.get(language.code, level) != level:
            raise DataError(
                f"{file} line {line}: {code} ({language.code}) has levels "
                f"{raw[language.code]!r} and {level!r}",
                fix="keep one level per language",
            )
        raw[language.code] = level
    if not raw:
        raise DataError(f"{file} gives no level for any known language", fix="fill it in")
    if unknown:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        warnings.warn(
            f"{len(unknown)} unknown language code(s) in {file} ignored: {shown}", stacklevel=2
        )
    numbers = {code: _number(level) for code, level in raw.items()}
    if all(value is not None for value in numbers.values()):
        return {code: float(value) for code, value in numbers.items() if value is not None}
    if any(value is not None for value in numbers.values()):
        raise DataError(
            f"{file} mixes numeric and text levels",
            fix="use numbers (ordinal classes) or labels, not both",
        )
    return dict(raw)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
