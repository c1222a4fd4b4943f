"""FLORES-200 ↔ FLORES+ code mapping.

FLORES+ (``openlanguagedata/flores_plus``, maintained by OLDI) is the living successor of FLORES-200
and relabelled some varieties after re-examining the data. Run folders and user files may carry
either naming, so the registry accepts both and this module converts between them.

Only relabellings that are documented in the FLORES+ changelog and visible in its file list are
listed; every other FLORES-200 code is unchanged in FLORES+. Glottocode suffixes are part of the
FLORES+ code where FLORES+ splits an ISO code into two varieties.
"""

from __future__ import annotations

from typing import Final

from babelscope.errors import LanguageError
from babelscope.languages._table import LANGUAGE_ROWS

#: FLORES-200 code -> FLORES+ code, for the codes FLORES+ relabelled.
FLORES_PLUS_RENAMES: Final[dict[str, str]] = {
    "zho_Hans": "cmn_Hans",  # Chinese (Simplified): macrolanguage -> Mandarin
    "zho_Hant": "cmn_Hant",  # Chinese (Traditional): macrolanguage -> Mandarin
    "est_Latn": "ekk_Latn",  # Estonian: macrolanguage -> Standard Estonian
    "grn_Latn": "gug_Latn",  # Guarani: macrolanguage -> Paraguayan Guarani
    "tgl_Latn": "fil_Latn",  # Tagalog -> Filipino
    "tzm_Tfng": "zgh_Tfng",  # the data is Standard Moroccan Tamazight
    "kon_Latn": "ktu_Latn",  # the data is Kituba, not Kikongo
    "aka_Latn": "twi_Latn_akua1239",  # the data is Akuapem Twi
    "twi_Latn": "twi_Latn_asan1239",  # the data is Asante Twi
    "apc_Arab": "apc_Arab_nort3139",  # North Levantine Arabic
    "ajp_Arab": "apc_Arab_sout3123",  # South Levantine Arabic (ISO merged ajp into apc)
}

#: Every registry code (FLORES-200 plus SIB-200's ``nqo_Nkoo``) -> its FLORES+ code.
FLORES_PLUS_CODES: Final[dict[str, str]] = {
    row[0]: FLORES_PLUS_RENAMES.get(row[0], row[0]) for row in LANGUAGE_ROWS
}

_FROM_FLORES_PLUS: Final[dict[str, str]] = {
    plus.lower(): flores for flores, plus in FLORES_PLUS_CODES.items()
}
_TO_FLORES_PLUS: Final[dict[str, str]] = {
    flores.lower(): plus for flores, plus in FLORES_PLUS_CODES.items()
}


def to_flores_plus(code: str) -> str:
    """FLORES+ code of a FLORES-200 code (``zho_Hans`` -> ``cmn_Hans``; most map to themselves)."""
    found = _TO_FLORES_PLUS.get(code.strip().lower())
    if found is not None:
        return found
    raise LanguageError(
        f"{code!r} is not a FLORES-200 code",
        fix="pass a code such as fra_Latn, or resolve_language(code).code first",
    )


def from_flores_plus(code: str) -> str:
    """FLORES-200 code of a FLORES+ code (``cmn_Hans`` -> ``zho_Hans``).

    FLORES+ varieties that FLORES-200 never had (``brx_Deva``, ``arn_Latn``, …) raise
    :class:`~babelscope.errors.LanguageError`: there is no FLORES-200 data to pair them with.
    """
    found = _FROM_FLORES_PLUS.get(code.strip().lower())
    if found is None:
        raise LanguageError(
            f"{code!r} is not a FLORES+ code with a FLORES-200 counterpart",
            fix="FLORES-200 codes look like fra_Latn; FLORES+ renamed only FLORES_PLUS_RENAMES",
        )
    return found
