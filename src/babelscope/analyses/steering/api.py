"""``steer``: the whole steering experiment in one call — what ``babelscope steer`` runs.

Fit one steerer per method × target language on FLORES (against English and the targets),
sweep layers × α against no steering and prompting on the *choose* half of the prompts, and
report each method's chosen setting on the held-out *report* half::

    import babelscope as bs

    flores = bs.FloresDataset.open("flores200_dev.tar.xz")
    result = bs.steer("smollm2-135m", flores, ["fra_Latn"], bs.SteerSettings(prompts=12),
                      folder="babelscope-runs/steer-smollm2")   # resumable, like the CLI
    result.report_table()

Everything is validated before the model loads. ``folder`` holds ``vectors/``, ``store/`` and
``cells/``: a rerun with the same folder loads finished steerers and cells instead of
recomputing them (greedy decoding: they would be the same anyway).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from babelscope.analyses.steering.method import Steerer
    from babelscope.analyses.steering.result import SteerResult
    from babelscope.data.flores import FloresDataset
    from babelscope.models.handle import ModelHandle

#: Where the default layers sit, as fractions of the depth (language structure is strongest in
#: the later layers, CLaS-Bench; the last block is left out, it is about to be unembedded).
#: Three layers keep one language's default sweep near 8 CPU-minutes on smollm2-135m
#: (bench/bench_steer.py); widen with ``layers``.
DEFAULT_DEPTHS = (0.5, 0.7, 0.85)


@dataclass(frozen=True)
class SteerSettings:
    """Every knob of :func:`steer` (the CLI's flags of the same names).

    ``layers``: ``"auto"`` (:data:`DEFAULT_DEPTHS` of the depth), a spec such as ``"6,9,12"``
    or a tuple of layers. ``alphas``: one α grid for every method (None: each method's
    default grid). ``positions``: ``"all"`` steers the prompt and the generated tokens (what
    every measured steering table used), ``"generated"`` only the generated ones.
    ``prompts``: prompts per half; ``fit_sentences``: FLORES sentences per language to fit on.
    """

    methods: tuple[str, ...] = ("diffmean", "lape", "gact")
    layers: str | tuple[int, ...] = "auto"
    alphas: tuple[float, ...] | None = None
    prompts: int = 12
    fit_sentences: int = 200
    fit_languages: tuple[str, ...] = ()
    max_new_tokens: int = 48
    positions: str = "all"
    batch_size: int = 20
    bootstrap: int = 1000
    seed: int = 0
    split: str = "dev"

    def validate(self) -> None:
        from babelscope.errors import ConfigError

        for name, low in (("prompts", 2), ("fit_sentences", 4), ("max_new_tokens", 1)):
            if getattr(self, name) < low:
                flag = "--" + name.replace("_", "-")
                raise ConfigError(f"{flag} {getattr(self, name)} is too small", fix=f"use ≥ {low}")
        if self.positions not in ("all", "generated"):
            raise ConfigError(f"bad positions {self.positions!r}", fix="use all or generated")
        if not self.methods:
            raise ConfigError("no steering method given", fix="e.g. methods=('diffmean',)")


def default_layers(n_layers: int) -> list[int]:
    """:data:`DEFAULT_DEPTHS` of a model with ``n_layers`` blocks (1..n_layers, unique)."""
    return sorted({min(n_layers, max(1, round(f * n_layers))) for f in DEFAULT_DEPTHS})


def steer_layers(spec: str | Sequence[int], n_layers: int) -> list[int]:
    """The layers ``SteerSettings.layers`` names for a model with ``n_layers`` blocks."""
    from babelscope.capture.sites import resolve_layers

    if isinstance(spec, str):
        return default_layers(n_layers) if spec == "auto" else resolve_layers(spec, n_layers)
    return resolve_layers(list(spec), n_layers)


def check_steer(
    dataset: FloresDataset, targets: str | Sequence[str], settings: SteerSettings
) -> tuple[list[str], list[str], list[Any]]:
    """Everything :func:`steer` can be given wrong, checked before any model loads (the CLI
    calls it before it claims its run folder): the settings, the target and fit languages
    (resolved to FLORES codes and present in ``settings.split``) and the method names.

    Returns:
        The target codes, every language fitted on (English first) and the method objects.
    """
    from babelscope.analyses.steering.registry import method_for
    from babelscope.languages.registry import resolve_languages

    settings.validate()
    codes = [lang.code for lang in resolve_languages(targets)]
    fit = settings.fit_languages
    extra = [lang.code for lang in resolve_languages(list(fit))] if fit else []
    languages = list(dict.fromkeys(["eng_Latn", *codes, *extra]))
    for code in languages:
        dataset.resolve(code, settings.split)
    methods = [method_for(name) for name in settings.methods]
    return codes, languages, methods


def steer(
    model: str | ModelHandle,
    dataset: FloresDataset,
    targets: str | Sequence[str],
    settings: SteerSettings | None = None,
    *,
    folder: str | Path | None = None,
    data_spec: str | None = None,
    progress: bool = True,
) -> SteerResult:
    """Fit, sweep, choose and report (module docstring) for ``model`` (a spec or a handle)
    towards each of ``targets`` (any accepted language codes), on FLORES ``dataset``.

    ``folder`` keeps the fitted steerers, the activation store and the finished cells, so a
    rerun resumes (None: a temporary folder, removed afterwards). ``data_spec`` is recorded in
    the result's data provenance (the CLI passes ``--data``).

    Returns:
        A :class:`~babelscope.analyses.steering.result.SteerResult` (``.save(run_folder)``,
        ``.report_table()``, ``.plot()``).
    """
    from babelscope.analyses.steering.prompts import split_prompts

    opts = settings or SteerSettings()
    codes, languages, methods = check_steer(dataset, targets, opts)
    english = dataset.sentences("eng_Latn", opts.split)
    split = split_prompts(english, opts.prompts, seed=opts.seed)
    with contextlib.ExitStack() as stack:
        where = (
            Path(folder)
            if folder is not None
            else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="babelscope-steer-")))
        )
        return _run(
            model, dataset, targets=codes, languages=languages, methods=methods, split=split,
            opts=opts, folder=where, data_spec=data_spec, progress=progress,
        )  # fmt: skip


def _run(
    model: str | ModelHandle,
    dataset: FloresDataset,
    *,
    targets: list[str],
    languages: list[str],
    methods: list[Any],
    split: Any,
    opts: SteerSettings,
    folder: Path,
    data_spec: str | None,
    progress: bool,
) -> SteerResult:
    from babelscope.analyses.steering.sweep import SweepSettings, run_sweep
    from babelscope.capture.generate import GenerationSettings
    from babelscope.data._common import hash_texts
    from babelscope.models.handle import ModelHandle
    from babelscope.models.loader import load_model

    handle = model if isinstance(model, ModelHandle) else load_model(model)
    layers = steer_layers(opts.layers, handle.n_layers)
    english = dataset.sentences("eng_Latn", opts.split)
    fit_ids = split.fit_ids(len(english))[: opts.fit_sentences]
    texts = {code: [dataset.sentences(code, opts.split)[i] for i in fit_ids] for code in languages}
    steerers = fit_steerers(
        handle, texts, methods=methods, targets=targets, layers=layers, folder=folder,
        progress=progress,
    )  # fmt: skip
    sweep = SweepSettings(
        alphas=None if opts.alphas is None else tuple(float(a) for a in opts.alphas),
        positions=opts.positions,
        generation=GenerationSettings(
            max_new_tokens=opts.max_new_tokens, batch_size=opts.batch_size
        ),
        bootstrap=opts.bootstrap,
        seed=opts.seed,
    )
    data = {
        "spec": data_spec,
        "split": opts.split,
        "fit_sha256": hash_texts(texts),
        "fit_sentences": len(fit_ids),
        "fit_languages": languages,
    }
    result = run_sweep(
        handle,
        dataset,
        steerers,
        split,
        targets=targets,
        flores_split=opts.split,
        settings=sweep,
        cells_dir=folder / "cells",
        progress=progress,
        data=data,
    )
    return result


def fit_steerers(
    handle: ModelHandle,
    texts: dict[str, list[str]],
    *,
    methods: Sequence[Any],
    targets: Sequence[str],
    layers: Sequence[int],
    folder: Path,
    progress: bool,
) -> dict[tuple[str, str], Steerer]:
    """Fit (or, on a rerun, load) one steerer per method and target, saved under
    ``folder/vectors/<method>-<target>/``; the activation store under ``folder/store/`` is
    shared. ``methods``: :class:`~babelscope.analyses.steering.method.SteeringMethod` objects."""
    from babelscope.analyses.steering.artefact import save_steerer
    from babelscope.analyses.steering.registry import load_steerer
    from babelscope.runs import is_complete

    steerers: dict[tuple[str, str], Steerer] = {}
    for method in methods:
        for target in targets:
            where = folder / "vectors" / f"{method.name}-{target}"
            if is_complete(where):
                steerer = load_steerer(where, handle)
            else:
                steerer = method.fit(
                    handle, texts, target=target, layers=list(layers),
                    store_dir=folder / "store", progress=progress,
                )  # fmt: skip
                save_steerer(steerer, where)
            steerers[(steerer.method, target)] = steerer
    return steerers
