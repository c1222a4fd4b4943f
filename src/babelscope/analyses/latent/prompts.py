"""Prompt builders for the latent-language tasks (Wendler et al. 2024).

* ``translation``: k-shot word translation, ``Français: "fleur" - 中文: "花"`` lines, the last
  one open after the target-language quote.
* ``repetition``: the same template with source = target (the model only has to copy).
* ``cloze``: a successor cloze on CLDR's ordered concepts (weekdays, months), in the target
  language: ``中文: "星期一" → "星期二"`` shots, then an open line. Wendler's definitional cloze
  needs sentences we cannot ship; this one needs only the lexicon and still asks for a word the
  prompt does not contain.

Shots never share a first token with the answer: with ``first_token`` given (the model's
tokenizer, through ``token_sets.first_token_id``), a shot whose target word starts with the
same token as any answer word is skipped — after ``星期一`` the model could "answer" ``星期二``
by copying ``星期``. Each prompt draws a fixed-length random order of the other items and takes
the first eligible ones, so the random stream is the same with or without the rule; prompts
whose shots changed are counted, and prompts with too few eligible shots are dropped.

Everything is deterministic given the seed (a stable hash of the pair, not Python's ``hash``).
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Hashable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal, get_args

from babelscope.data._lexicon_cldr import DAYS, MONTHS
from babelscope.data.lexicon import Lexicon
from babelscope.errors import ConfigError, DataError
from babelscope.languages.registry import Language, resolve_language

Task = Literal["translation", "repetition", "cloze"]
TASKS: tuple[str, ...] = get_args(Task)

# Ordered concept sequences for the cloze task (wrapping around): the lexicon's own lists.
SEQUENCES: tuple[tuple[str, ...], ...] = (DAYS, MONTHS)


@dataclass(frozen=True)
class LatentPrompt:
    """One prompt and what its answer is, in every measured language."""

    prompt_id: int
    task: str
    source: str
    target: str
    concept: str  # the concept whose target word is the answer
    query: str  # the word shown in the open line (source language; cloze: the predecessor)
    text: str
    answers: dict[str, tuple[str, ...]]  # measured language -> words (first = primary)

    def to_row(self) -> dict[str, object]:
        row = asdict(self)
        row["answers"] = {k: list(v) for k, v in self.answers.items()}
        return row


def display_name(language: Language) -> str:
    """The language's own name, as Wendler's prompts write it (``Français``, ``中文``)."""
    name = language.autonym or language.name
    return name[:1].upper() + name[1:]


def check_task(task: str) -> Task:
    if task not in TASKS:
        raise ConfigError(f"unknown task {task!r}", fix=f"use one of {', '.join(TASKS)}")
    return task  # type: ignore[return-value]


@dataclass
class PromptSet:
    """Prompts of one pair and what the shot rule did to them."""

    prompts: list[LatentPrompt]
    n_shots_changed: int = 0  # prompts whose first-drawn shots included a first-token clash
    dropped_concepts: list[str] = field(default_factory=list)  # too few eligible shots

    @property
    def n_dropped_shots(self) -> int:
        return len(self.dropped_concepts)


def build_prompts(
    lexicon: Lexicon,
    *,
    task: str,
    source: str,
    target: str,
    measured: Sequence[str],
    shots: int = 4,
    seed: int = 0,
    max_prompts: int | None = None,
    first_token: Callable[[str], Hashable] | None = None,
) -> list[LatentPrompt]:
    """Prompts for one (task, source, target) pair over every concept the lexicon has in the
    source, the target and all ``measured`` languages (FLORES codes); see
    :func:`build_prompt_set` for ``first_token``."""
    return build_prompt_set(
        lexicon,
        task=task,
        source=source,
        target=target,
        measured=measured,
        shots=shots,
        seed=seed,
        max_prompts=max_prompts,
        first_token=first_token,
    ).prompts


def build_prompt_set(
    lexicon: Lexicon,
    *,
    task: str,
    source: str,
    target: str,
    measured: Sequence[str],
    shots: int = 4,
    seed: int = 0,
    max_prompts: int | None = None,
    first_token: Callable[[str], Hashable] | None = None,
) -> PromptSet:
    """Like :func:`build_prompts`, with the shot rule's counts. ``first_token(word)`` gives
    the first token the model would write for a target-language word; shots whose target word
    starts with the same token as one of the answer's words are skipped. Prompt ids stay those
    of the unconstrained order, so a dropped prompt leaves a gap."""
    kind = check_task(task)
    src, tgt = resolve_language(source), resolve_language(target)
    if kind in ("repetition", "cloze"):
        src = tgt
    codes = list(dict.fromkeys([tgt.code, src.code, *measured]))
    rng = random.Random(zlib.crc32(f"{seed}|{kind}|{src.code}|{tgt.code}".encode()))
    if kind == "cloze":
        pairs = _successor_pairs(lexicon, codes)
    else:
        usable = [c for c in lexicon.concepts() if all(lexicon.words(c, code) for code in codes)]
        pairs = [(c, c) for c in usable]
    if len(pairs) < shots + 1:
        raise DataError(
            f"only {len(pairs)} {kind} items have words in all of {', '.join(codes)}",
            fix="measure fewer languages (--latent) or add words with --lexicon FILE",
        )
    order = list(range(len(pairs)))
    rng.shuffle(order)
    if max_prompts is not None:
        order = order[:max_prompts]
    tgt_name, src_name = display_name(tgt), display_name(src)
    prompts: list[LatentPrompt] = []
    built = PromptSet(prompts)
    firsts: dict[str, Hashable] = {}

    def first(word: str) -> Hashable:
        if word not in firsts:
            firsts[word] = first_token(word) if first_token is not None else word
        return firsts[word]

    for number, index in enumerate(order):
        shown, answer = pairs[index]
        others = [j for j in range(len(pairs)) if j != index and pairs[j][1] != answer]
        drawn = rng.sample(others, len(others))  # same draws whatever the rule keeps
        if first_token is not None:
            clash = {first(w) for w in lexicon.words(answer, tgt.code)}
            eligible = [
                j for j in drawn if first(lexicon.words(pairs[j][1], tgt.code)[0]) not in clash
            ]
        else:
            eligible = drawn
        if len(eligible) < shots:
            built.dropped_concepts.append(answer)
            continue
        shots_idx = eligible[:shots]
        built.n_shots_changed += shots_idx != drawn[:shots]
        lines = []
        for j in shots_idx:
            a, b = pairs[j]
            lines.append(
                _line(
                    kind,
                    src_name,
                    tgt_name,
                    lexicon.words(a, src.code)[0],
                    lexicon.words(b, tgt.code)[0],
                )
            )
        query = lexicon.words(shown, src.code)[0]
        lines.append(_line(kind, src_name, tgt_name, query, None))
        prompts.append(
            LatentPrompt(
                prompt_id=number,
                task=kind,
                source=src.code,
                target=tgt.code,
                concept=answer,
                query=query,
                text="\n".join(lines),
                answers={code: tuple(lexicon.words(answer, code)) for code in codes},
            )
        )
    return built


def _line(task: Task, src_name: str, tgt_name: str, shown: str, answer: str | None) -> str:
    tail = f'{answer}"' if answer is not None else ""
    if task == "cloze":
        return f'{tgt_name}: "{shown}" → "{tail}'
    return f'{src_name}: "{shown}" - {tgt_name}: "{tail}'


def _successor_pairs(lexicon: Lexicon, codes: Sequence[str]) -> list[tuple[str, str]]:
    known = set(lexicon.concepts())
    pairs = []
    for sequence in SEQUENCES:
        for i, concept in enumerate(sequence):
            after = sequence[(i + 1) % len(sequence)]
            if {concept, after} <= known and all(
                lexicon.words(c, code) for c in (concept, after) for code in codes
            ):
                pairs.append((concept, after))
    return pairs
