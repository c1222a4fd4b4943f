"""The demo: the main job on any model — twelve latent-language experiments (ten translation
pairs, repetition, cloze), the activation-patching check and the generation view, into one run
folder and one report.

It sits in ``report`` because the demo *is* experiments plus their report; ``babelscope demo``
is a thin command over :func:`demo` and :meth:`DemoResult.save`::

    import babelscope as bs

    result = bs.demo(["org/my-7b"], bs.DemoSettings(budget="quick"), device="cuda")
    result.save("babelscope-runs/demo-my-7b")        # the same folder `babelscope demo` writes

**Budgets.** ``full`` (the default, as the bundled models' measured demo): 40 prompts per pair
and 20 prompt pairs for the patching check. ``quick``: 10 and 8, for a large model or a first
look: a 95 % half-width of ≤ 0.10 instead of ≤ 0.05 on a mean mass with sd ≤ 0.16 (what the
pairs show), and about a quarter of the forward passes (latent: one per prompt; patching: one per
pair and layer). ``max_prompts`` / ``patch_prompts`` override a budget's counts.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from babelscope.analyses.latent.generation import GenerationView
    from babelscope.analyses.latent.result import LatentResult
    from babelscope.analyses.patching import PatchingResult
    from babelscope.models.handle import ModelHandle

# Non-English and low-resource pairs (Wendler et al.'s translation, repetition and cloze).
DEMO_PAIRS: tuple[str, ...] = (
    # Latin sources into five non-Latin scripts; English is absent from every prompt, so it
    # can be called latent; the source word is in the prompt, so its mass is the copy signal.
    "translation:fra_Latn:zho_Hans",
    "translation:deu_Latn:jpn_Jpan",
    "translation:spa_Latn:rus_Cyrl",
    "translation:fra_Latn:kor_Hang",
    "translation:deu_Latn:hin_Deva",
    "translation:spa_Latn:arb_Arab",
    # Non-Latin sources into Latin targets, and two low-resource targets.
    "translation:zho_Hans:fra_Latn",
    "translation:rus_Cyrl:deu_Latn",
    "translation:fra_Latn:swh_Latn",
    "translation:deu_Latn:yor_Latn",
    "repetition:zho_Hans:zho_Hans",
    "cloze:spa_Latn:spa_Latn",
)
DEMO_MODELS: tuple[str, ...] = ("gemma-3-270m", "smollm2-135m")
DEMO_PROMPT = (
    'Français: "fleur" - 中文: "花"\nFrançais: "montagne" - 中文: "山"\nFrançais: "livre" - 中文: "'
)
DEMO_VIEW_LANGUAGES: tuple[str, ...] = ("eng_Latn", "fra_Latn", "zho_Hans", "jpn_Jpan")


@dataclass(frozen=True)
class Budget:
    """How many prompts a budget runs: per latent pair, and prompt pairs per patching setup."""

    max_prompts: int
    patch_prompts: int


#: ``full``: 40 prompts give a 95 % half-width of ≤ 0.05 on a mean mass with sd ≤ 0.16 (what the
#: pairs show) and keep 12 experiments × 2 bundled models + patching within 10 CPU-minutes; 20
#: patching pairs is ``babelscope patch``'s default. ``quick``: a quarter of that for a 7B model
#: (half-width ≤ 0.10).
BUDGETS: dict[str, Budget] = {
    "full": Budget(max_prompts=40, patch_prompts=20),
    "quick": Budget(max_prompts=10, patch_prompts=8),
}


@dataclass(frozen=True)
class DemoSettings:
    """Every knob of the demo (recorded in the run's manifest via the analyses' settings).

    ``max_prompts`` / ``patch_prompts``: ``None`` takes the budget's (:data:`BUDGETS`).
    ``words``: ``nouns``, ``calendar`` or a TSV/CSV word file; ``lexicon``: a file merged over it.
    """

    budget: str = "full"
    max_prompts: int | None = None
    patch_prompts: int | None = None
    words: str = "nouns"
    lexicon: str | None = None
    pairs: tuple[str, ...] = DEMO_PAIRS
    shots: int = 4
    seed: int = 0
    patching: bool = True
    generate: str | None = DEMO_PROMPT
    view_languages: tuple[str, ...] = DEMO_VIEW_LANGUAGES

    def validate(self) -> None:
        from babelscope.errors import ConfigError

        if self.budget not in BUDGETS:
            raise ConfigError(
                f"unknown budget {self.budget!r}", fix=f"use one of {', '.join(BUDGETS)}"
            )
        for name in ("max_prompts", "patch_prompts", "shots"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or value < 1):
                flag = "--" + name.replace("_", "-")
                raise ConfigError(f"{flag} must be ≥ 1, got {value}", fix=f"e.g. {flag} 10")

    def prompts(self) -> Budget:
        """The counts this run uses: the budget's, overridden where given."""
        budget = BUDGETS[self.budget]
        return Budget(
            max_prompts=self.max_prompts or budget.max_prompts,
            patch_prompts=self.patch_prompts or budget.patch_prompts,
        )


@dataclass
class DemoResult:
    """The demo's results: the latent-language experiments, the patching check (or ``None``)
    and one generation view per model."""

    latent: LatentResult
    patching: PatchingResult | None
    views: list[GenerationView] = field(default_factory=list)
    settings: DemoSettings = field(default_factory=DemoSettings)
    started: float | None = None  # time.time() when the run began (the manifest's seconds)

    def findings(self) -> list[str]:
        return [*self.latent.findings(), *(self.patching.findings() if self.patching else [])]

    def save(self, out: str | Path, *, argv: Sequence[str] | None = None) -> Path:
        """Write the run folder (tables, plots, report.html, manifest.json last) and return the
        report's path."""
        from babelscope.report.latent_run import write_latent_run

        return write_latent_run(
            out,
            self.latent,
            views=self.views,
            argv=argv,
            kind="demo",
            started=self.started,
            patching=self.patching,
        )


def parse_pair(text: str) -> Any:
    """``TASK:SRC:TGT`` → a :class:`~babelscope.analyses.latent.Pair` (ConfigError if malformed)."""
    from babelscope.analyses.latent import Pair
    from babelscope.errors import ConfigError

    parts = text.split(":")
    if len(parts) != 3:
        raise ConfigError(f"bad pair {text!r}", fix="write TASK:SRC:TGT")
    return Pair.make(*parts)


def demo(
    models: Sequence[str | ModelHandle] = DEMO_MODELS,
    settings: DemoSettings | None = None,
    *,
    dtype: str = "float32",
    device: str = "cpu",
    trust_remote_code: bool = False,
    progress: bool = True,
) -> DemoResult:
    """Run the demo on ``models`` (specs — bundled name, folder, ``org/name@rev``, ``.gguf`` —
    or handles). Every model is loaded before the first experiment, so a bad spec fails fast;
    ``dtype``/``device``/``trust_remote_code`` apply to specs, as ``load_model``'s do.

    Returns:
        A :class:`DemoResult`; ``.save(folder)`` writes the run folder ``babelscope demo`` writes.
    """
    from babelscope.analyses.latent import latent_language
    from babelscope.analyses.latent.generation import generation_view
    from babelscope.data.word_sets import combine_words
    from babelscope.errors import ConfigError
    from babelscope.models.handle import ModelHandle
    from babelscope.models.loader import load_model

    opts = settings or DemoSettings()
    opts.validate()
    if not models:
        raise ConfigError("no model given", fix="pass --model smollm2-135m (repeatable)")
    pairs = list(dict.fromkeys(parse_pair(text) for text in opts.pairs))
    counts = opts.prompts()
    lexicon = combine_words(opts.words, opts.lexicon)
    started = time.time()
    handles = [
        spec
        if isinstance(spec, ModelHandle)
        else load_model(spec, dtype=dtype, device=device, trust_remote_code=trust_remote_code)
        for spec in models
    ]
    latent = latent_language(
        handles,
        pairs,
        lexicon=lexicon,
        shots=opts.shots,
        seed=opts.seed,
        max_prompts=counts.max_prompts,
        progress=progress,
    )
    views = (
        [generation_view(h, opts.generate, list(opts.view_languages)) for h in handles]
        if opts.generate
        else []
    )
    patched = None
    if opts.patching:
        from babelscope.analyses.patching import patching_experiment

        patched = patching_experiment(
            handles,
            n_pairs=counts.patch_prompts,
            lexicon=lexicon,
            shots=opts.shots,
            seed=opts.seed,
            progress=False,
        )
    return DemoResult(latent, patched, views, opts, started)
