"""``run_translate``: every language × direction × prompting, resumable shard by shard.

Each (language, direction, prompting) cell's generations are one Parquet shard under
``<folder>/shards/`` written atomically (LDP's back-translations of a language are one more),
so a run killed at any point and started again with the same folder recomputes only the cells
it had not finished, and — greedy decoding being deterministic — ends with the tables an
uninterrupted run writes. ``shards/identity.json`` pins what the shards belong to (model hash,
data, settings, exemplar plan); a folder holding another run's shards is refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from babelscope.analyses.translate.controls import control
from babelscope.analyses.translate.exemplars import ExemplarPlan, check_disjoint, plan_exemplars
from babelscope.analyses.translate.generation import token_counts, translate_batch
from babelscope.analyses.translate.prompts import Exemplar, Tag, build_prompt, language_tag
from babelscope.analyses.translate.result import TranslateResult, score_table
from babelscope.analyses.translate.settings import ENGLISH, TranslateSettings
from babelscope.atomic import atomic_write_text
from babelscope.chrf import chrf_pp, signature
from babelscope.errors import ConfigError, DataError

if TYPE_CHECKING:
    from babelscope.data.flores import FloresDataset
    from babelscope.models.handle import ModelHandle

SHARDS = "shards"
IDENTITY = "identity.json"


@dataclass(frozen=True)
class Inputs:
    """What the runs reads, validated: languages (FLORES codes, English excluded), the
    exemplar plan and the LDP languages usable per target."""

    languages: tuple[str, ...]
    plan: ExemplarPlan
    settings: TranslateSettings


def prepare(
    dataset: FloresDataset, languages: str | list[str], settings: TranslateSettings
) -> Inputs:
    """Check every input a user can get wrong — before a model loads: the split and its
    references, each language's FLORES text in both splits, the LDP languages, the pool size.
    ``DataError``/``ConfigError`` with one line naming the fix."""
    from babelscope.languages.registry import resolve_languages

    splits = dataset.splits()
    if settings.split not in splits:
        raise DataError(
            f"FLORES at {dataset.source} has no split {settings.split!r}",
            fix=f"use --split {' or '.join(splits) or '(none found)'}",
        )
    exemplar_split = settings.exemplar_split or next(
        (s for s in ("dev", "devtest", *splits) if s != settings.split and s in splits),
        settings.split,
    )
    for split in dict.fromkeys((settings.split, exemplar_split)):
        if ENGLISH not in dataset.languages(split):
            raise DataError(
                f"FLORES {split} at {dataset.source} has no English references ({ENGLISH})",
                fix="use a split that has eng_Latn, or the full FLORES-200 release",
            )
    if languages in ("all", ["all"]):
        codes = [c for c in dataset.languages(settings.split) if c != ENGLISH]
    else:
        codes = [lang.code for lang in resolve_languages(languages) if lang.code != ENGLISH]
    if not codes:
        raise ConfigError("no language to translate (English is the pivot)", fix="name others")
    needed = list(codes)
    if "ldp" in settings.promptings:
        ldp = [lang.code for lang in resolve_languages(list(settings.ldp_languages))]
        settings = replace(settings, ldp_languages=tuple(ldp))
        needed += ldp
    for code in dict.fromkeys(needed):
        for split in dict.fromkeys((settings.split, exemplar_split)):
            dataset.resolve(code, split)  # DataError: no FLORES text for it
    for code in codes:
        if "ldp" in settings.promptings and not ldp_for(code, settings):
            raise ConfigError(
                f"LDP for {code} has no exemplar language but itself",
                fix="add languages to --ldp-languages",
            )
    plan = plan_exemplars(
        split=settings.split,
        split_size=dataset.num_sentences(settings.split),
        exemplar_split=exemplar_split,
        exemplar_split_size=dataset.num_sentences(exemplar_split),
        sentences=settings.sentences,
        shots=settings.shots,
        seed=settings.seed,
        unlabeled="ldp" in settings.promptings and "en-xx" in settings.directions,
    )
    settings = replace(settings, languages=tuple(codes), exemplar_split=exemplar_split)
    return Inputs(tuple(codes), plan, settings)


def ldp_for(code: str, settings: TranslateSettings) -> list[str]:
    """LDP exemplar languages for target ``code``: the configured set without ``code`` itself
    (exemplars in the language being translated would make it supervised prompting)."""
    return [lang for lang in settings.ldp_languages if lang != code]


class _Cells:
    """Builds, runs and stores the cells of one run (see the module docstring)."""

    def __init__(
        self,
        handle: ModelHandle,
        dataset: FloresDataset,
        inputs: Inputs,
        folder: Path,
        on_cell: Callable[[str], None] | None,
    ) -> None:
        self.handle, self.dataset, self.inputs = handle, dataset, inputs
        self.settings, self.plan = inputs.settings, inputs.plan
        self.folder = folder
        self.on_cell = on_cell
        self.english = language_tag(ENGLISH)

    def text(self, code: str, split: str, ids: tuple[int, ...]) -> list[str]:
        lines = self.dataset.sentences(code, split)
        return [lines[i] for i in ids]

    def shard(self, name: str, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        from babelscope.runs import write_parquet

        path = self.folder / SHARDS / f"{name}.parquet"
        if path.is_file():
            return pd.read_parquet(path)
        frame = build()
        write_parquet(path, frame)
        if self.on_cell is not None:
            self.on_cell(name)
        return frame

    def rows(
        self,
        *,
        code: str,
        direction: str,
        prompting: str,
        stage: str,
        ids: tuple[int, ...],
        split: str,
        pairs: tuple[str, str],
        sources: list[str],
        references: list[str],
        exemplars: list[Exemplar],
        cap_texts: list[str],
    ) -> pd.DataFrame:
        """Generate one cell and its per-output controls."""
        source_tag, target_tag = (language_tag(c) for c in pairs)
        prompts = [build_prompt(exemplars, source_tag, s, target_tag) for s in sources]
        caps = [self.settings.cap(n) for n in token_counts(self.handle, cap_texts)]
        answers = translate_batch(self.handle, prompts, caps, self.settings.batch_size)
        records = []
        for i, answer in enumerate(answers):
            found = control(answer.text, sources[i], pairs[1])
            records.append(
                {
                    "language": code,
                    "direction": direction,
                    "prompting": prompting,
                    "stage": stage,
                    "split": split,
                    "sentence_id": ids[i],
                    "source_language": pairs[0],
                    "target_language": pairs[1],
                    "source": sources[i],
                    "reference": references[i],
                    "prompt": prompts[i],
                    "output": answer.text,
                    "cap": caps[i],
                    "new_tokens": answer.new_tokens,
                    "hit_cap": answer.hit_cap,
                    "empty": found.empty,
                    "copy_chrf": found.copy_chrf,
                    "is_copy": found.copy,
                    "output_script": found.output_script,
                    "script_ok": found.script_ok,
                    "lid_label": found.lid_label,
                    "off_target": found.off_target,
                    "sentence_chrf_pp": chrf_pp(answer.text, references[i]),
                }
            )
        return pd.DataFrame.from_records(records)

    def exemplars(self, code: str, direction: str, prompting: str) -> list[Exemplar]:
        plan, split = self.plan, self.plan.exemplar_split
        check_disjoint(plan)
        tag = language_tag(code)
        english = self.text(ENGLISH, split, plan.exemplars)
        if prompting == "zero":
            return []
        if prompting == "supervised":
            own = self.text(code, split, plan.exemplars)
            if direction == "xx-en":
                return [
                    Exemplar(tag, x, self.english, e) for x, e in zip(own, english, strict=True)
                ]
            return [Exemplar(self.english, e, tag, x) for x, e in zip(own, english, strict=True)]
        if direction == "xx-en":
            return self.ldp_xx_en(code)
        back = self.backtranslate(code)
        return [
            Exemplar(self.english, e, tag, x)
            for e, x in zip(back["output"], back["source"], strict=True)
        ]

    def ldp_xx_en(self, code: str) -> list[Exemplar]:
        """K X→English exemplars cycling over the LDP languages (not ``code`` itself)."""
        split, ids = self.plan.exemplar_split, self.plan.exemplars
        languages = ldp_for(code, self.settings)
        english = self.text(ENGLISH, split, ids)
        out = []
        for k, (i, e) in enumerate(zip(ids, english, strict=True)):
            lang = languages[k % len(languages)]
            out.append(
                Exemplar(language_tag(lang), self.text(lang, split, (i,))[0], self.english, e)
            )
        return out

    def backtranslate(self, code: str) -> pd.DataFrame:
        """LDP's English→X exemplars: the unlabeled X sentences translated to English with the
        X→English LDP prompt (FLORES English kept as ``reference`` for diagnosis only)."""
        split, ids = self.plan.exemplar_split, self.plan.unlabeled

        def build() -> pd.DataFrame:
            sources = self.text(code, split, ids)
            return self.rows(
                code=code,
                direction="xx-en",
                prompting="ldp",
                stage="backtranslate",
                ids=ids,
                split=split,
                pairs=(code, ENGLISH),
                sources=sources,
                references=self.text(ENGLISH, split, ids),
                exemplars=self.ldp_xx_en(code),
                cap_texts=sources,
            )

        return self.shard(f"{code}.backtranslate", build)

    def cell(self, code: str, direction: str, prompting: str) -> pd.DataFrame:
        split, ids = self.plan.split, self.plan.scored
        pairs = (code, ENGLISH) if direction == "xx-en" else (ENGLISH, code)

        def build() -> pd.DataFrame:
            sources = self.text(pairs[0], split, ids)
            references = self.text(pairs[1], split, ids)
            return self.rows(
                code=code,
                direction=direction,
                prompting=prompting,
                stage="translate",
                ids=ids,
                split=split,
                pairs=pairs,
                sources=sources,
                references=references,
                exemplars=self.exemplars(code, direction, prompting),
                cap_texts=references,
            )

        return self.shard(f"{code}.{direction}.{prompting}", build)


def identity(handle: ModelHandle, inputs: Inputs, data: dict[str, Any]) -> dict[str, Any]:
    """What every shard depends on. Not the language list (nor the data hash, which covers the
    listed languages): shards are per language, so a rerun may add or drop languages and
    reuses what it finds; the FLORES spec and split still pin the data."""
    settings = {k: v for k, v in inputs.settings.to_dict().items() if k != "languages"}
    return {
        "model_sha256": handle.model_hash,
        "data": {k: v for k, v in data.items() if k != "sha256"},
        "settings": settings,
        "exemplars": inputs.plan.to_dict(),
    }


def _check_identity(folder: Path, wanted: dict[str, Any]) -> None:
    path = folder / SHARDS / IDENTITY
    if path.is_file():
        found = json.loads(path.read_text("utf-8"))
        if found != json.loads(json.dumps(wanted, default=str)):
            raise ConfigError(
                f"{folder} holds translation shards of another run (model, data or settings "
                "differ)",
                fix="pass another --out, or delete that folder's shards/ to start over",
            )
        return
    atomic_write_text(path, json.dumps(wanted, indent=1, ensure_ascii=False, default=str))


def run_translate(
    handle: ModelHandle,
    dataset: FloresDataset,
    inputs: Inputs,
    folder: str | Path,
    *,
    data: dict[str, Any],
    on_cell: Callable[[str], None] | None = None,
) -> TranslateResult:
    """Generate, control and score every cell of ``inputs`` (from :func:`prepare`), resuming
    from the shards under ``folder``; the tables are built from the shards alone."""
    root = Path(folder).expanduser()
    (root / SHARDS).mkdir(parents=True, exist_ok=True)
    _check_identity(root, identity(handle, inputs, data))
    cells = _Cells(handle, dataset, inputs, root, on_cell)
    settings = inputs.settings
    frames = []
    for code in inputs.languages:
        for direction in settings.directions:
            for prompting in settings.promptings:
                if prompting == "ldp" and direction == "en-xx":
                    frames.append(cells.backtranslate(code))
                frames.append(cells.cell(code, direction, prompting))
    generations = pd.concat(frames, ignore_index=True)
    tags = {
        code: {"tag": (t := language_tag(code)).text, "source": t.source}
        for code in (ENGLISH, *inputs.languages, *settings.ldp_languages)
    }
    scores = score_table(generations, settings)
    return TranslateResult(
        model=handle.provenance(),
        settings=settings.to_dict(),
        data=data,
        exemplars=inputs.plan.to_dict(),
        tags=tags,
        signatures={"chrf_pp": signature(2), "chrf": signature(0)},
        scores=scores,
        generations=generations,
    )


__all__ = ["Inputs", "Tag", "prepare", "run_translate"]
