"""Which translations look like the English word: cognates, loans and untranslated leftovers.

A latent-language measurement asks whether English is "thought in" before the target word is
written. If the target word is the English word (``pizza``), starts like it (French ``tomate``)
or is a loan in another script (Russian ``банан``, Japanese ``バナナ``), English and target mass
share tokens and the experiment cannot tell them apart. Wendler et al. (2024) dropped the rows
whose English word sits inside the target; we drop a little more, by three rules on
*normalised* forms:

* **normalised**: NFKC, case-folded, transliterated to ASCII with ``anyascii`` (``банан`` ->
  ``banan``, ``バナナ`` -> ``banana``, ``Ajá`` -> ``aja``), accents stripped, then only ``a-z`` and
  digits kept (hyphens, apostrophes and spaces go).
* ``prefix``: the two normalised words share a prefix of at least 3 letters, or as long as the
  shorter word (``fisch``/``fish``, ``tomate``/``tomato``; ``ox``/``os`` shares only ``o``).
* ``contains``: one normalised word (of at least 3 letters) contains the other (Zulu ``i-seal``,
  normalised ``iseal``, contains ``seal``). Shorter words are left to the prefix rule: a
  one-letter pinyin syllable would otherwise "contain" half the English vocabulary.
* ``similar``: both normalised words have at least :data:`MIN_SIMILAR_LENGTH` (5) letters and a
  ``difflib`` similarity ratio ≥ :data:`SIMILARITY` (0.75) — loans whose first letter moved
  (Setswana ``panana``, Zulu ``ubhanana`` for ``banana``), which the prefix rule misses. On
  shorter words one letter swings the ratio (``cat``/``chat`` 0.86, ``cat``/``kat`` 0.67), so
  they are left to the other rules.
* ``skeleton``: the consonant skeletons (vowels and ``h`` removed, ``c``/``q`` read as ``k``,
  ``f`` as ``p``, ``v`` as ``b``, doubled letters merged) share a prefix of at least 3
  letters — loans with epenthetic vowels, as Japanese writes them (``プリンス``, ``purinsu``,
  ``prns``, for ``prince``, ``prnk``), or Indic spellings of f and v (``फ़लाफ़ेल``).
* ``unreadable``: nothing is left after normalisation, so nothing can be compared.

The rules are deliberately biased towards dropping: a lost genuine word costs one concept in one
language; a kept loan makes English and target indistinguishable.
"""

from __future__ import annotations

import difflib
import unicodedata
from typing import Final, Literal

#: Minimum shared normalised prefix that marks a cognate or loan (unless a word is shorter).
MIN_PREFIX: Final = 3
#: ``difflib.SequenceMatcher`` ratio at or above which two normalised words count as one.
SIMILARITY: Final = 0.75
#: Shortest normalised length at which the similarity rule applies.
MIN_SIMILAR_LENGTH: Final = 5

# Letters that transliterations of loans swap: Bengali/Hindi write f as ph (ফলাফেল,
# "phalaphel") and v as bh (অ্যাভোক্যাডো, "ayabhokyado"); after h goes, f/p and v/b remain.
_SKELETON_MAP: Final = {"c": "k", "q": "k", "f": "p", "v": "b"}

Reason = Literal["prefix", "contains", "similar", "skeleton", "unreadable"]
#: The reasons :func:`cognate_reason` can give, in the order they are tested.
REASONS: Final[tuple[Reason, ...]] = (
    "prefix",
    "contains",
    "similar",
    "skeleton",
    "unreadable",
)


def normalise(word: str) -> str:
    """ASCII skeleton of a word: ``"Ajá"`` -> ``"aja"``, ``"バナナ"`` -> ``"banana"``."""
    from anyascii import anyascii

    text = unicodedata.normalize("NFKC", word).casefold()
    text = anyascii(text).casefold()
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum())


def skeleton(normalised: str) -> str:
    """Consonant skeleton of a normalised word: ``"purinsu"`` -> ``"prns"``."""
    letters = [_SKELETON_MAP.get(ch, ch) for ch in normalised if ch not in "aeiouyh"]
    return "".join(ch for i, ch in enumerate(letters) if i == 0 or ch != letters[i - 1])


def shared_prefix(a: str, b: str) -> int:
    """Length of the common prefix of two strings."""
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length


def cognate_reason(english: str, word: str) -> Reason | None:
    """Why ``word`` counts as a cognate/loan of ``english``, or ``None`` if it does not.

    >>> cognate_reason("tomato", "tomate"), cognate_reason("dog", "Hund")
    ('prefix', None)
    """
    a, b = normalise(english), normalise(word)
    if not a or not b:
        return "unreadable"  # nothing left to compare: cannot vouch that it differs
    shorter = min(len(a), len(b))
    if shared_prefix(a, b) >= min(MIN_PREFIX, shorter):
        return "prefix"
    if shorter >= MIN_PREFIX and (a in b or b in a):
        return "contains"
    if (
        shorter >= MIN_SIMILAR_LENGTH
        and difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= SIMILARITY
    ):
        return "similar"
    skel_a, skel_b = skeleton(a), skeleton(b)
    if min(len(skel_a), len(skel_b)) >= MIN_PREFIX and shared_prefix(skel_a, skel_b) >= MIN_PREFIX:
        return "skeleton"
    return None
