"""Training a tuned lens with the model frozen, resumable after a kill.

One forward per batch of sentences records every layer's residual states (the capture engine,
no LM head); the final distribution is the model's own head on the last layer. Each layer's
translator is then fitted to minimise KL(final ‖ lens) — the coarse KL of
:mod:`babelscope.lens.divergence` by default (CPU), or the exact full-vocabulary KL (``loss=
"full"``, the sensible choice on a GPU). Gradients flow only into the translators.

Deviations from tuned-lens's trainer (``tuned_lens/scripts/train_loop.py``), and why: Adam with
a linear decay instead of Nesterov SGD at lr 1 (we take a few hundred small steps of ~10³
positions, not 250 steps of 2¹⁸ tokens, and Adam is far less sensitive to that scale); the BOS
position is skipped (its attention-sink state is not a prediction of anything); and the coarse
loss on CPU.

Checkpoints (translators, optimiser, step, sampler state) are written atomically every
``checkpoint_every`` steps; a rerun with the same settings and ``--out`` continues from the last
one, skipping exactly the sentences already used (the data order is a pure function of the seed).
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import torch

from babelscope.atomic import atomic_write_bytes
from babelscope.capture.api import CaptureOptions, capture
from babelscope.errors import ConfigError
from babelscope.lens.divergence import LN2, coarse_target, kl_coarse, kl_full
from babelscope.lens.training_data import HeldOut, round_robin
from babelscope.lens.tuned import TunedLens

if TYPE_CHECKING:
    from babelscope.models.handle import ModelHandle

CHECKPOINT = "checkpoint.pt"
LossKind = Literal["coarse", "full"]


@dataclass(frozen=True)
class LensTrainSettings:
    """Everything that shapes a trained lens (all of it goes into the manifest)."""

    tokens: int = 100_000  # training positions in all (every measured lens used 100k)
    batch_sentences: int = 16  # sentences per forward / optimiser step
    lr: float = 1e-3
    loss: LossKind = "coarse"
    top_k: int = 32  # coarse loss: candidates = union of per-position top-k of the final dist.
    rest_samples: int = 2048  # coarse loss: tokens sampled to estimate the rest bucket
    checkpoint_every: int = 10  # steps
    seed: int = 0
    max_length: int = 128
    holdout_every: int = 5  # sentence ids i % holdout_every == 0 are never trained on
    # Translators to train (None: all). Each layer's loss depends on its own translator only,
    # so training a subset from ``init_from`` (a finished lens folder) refines those layers
    # and leaves every other translator bit-identical.
    layers: tuple[int, ...] | None = None
    init_from: str | None = None

    def validate(self) -> None:
        if self.tokens < 1 or self.batch_sentences < 1 or self.checkpoint_every < 1:
            raise ConfigError(
                "tokens, batch sentences and checkpoint interval must be ≥ 1",
                fix="e.g. --tokens 100000",
            )
        if self.loss not in ("coarse", "full"):
            raise ConfigError(f"unknown lens loss {self.loss!r}", fix="use coarse or full")
        if self.lr <= 0 or self.top_k < 1 or self.rest_samples < 1:
            raise ConfigError("lr, top-k and rest samples must be positive", fix="use defaults")
        if self.layers is not None and not self.layers:
            raise ConfigError("no layer to train", fix="e.g. --layers 17, or leave it out for all")

    def trained_layers(self, n_layers: int) -> tuple[int, ...]:
        """The translators this run trains, checked against a model with ``n_layers`` blocks."""
        if self.layers is None:
            return tuple(range(n_layers))
        bad = [layer for layer in self.layers if not 0 <= layer < n_layers]
        if bad:
            raise ConfigError(
                f"cannot train translators for layers {bad}",
                fix=f"pick layers in 0..{n_layers - 1} (layer {n_layers} is the model's own head)",
            )
        return tuple(sorted(set(self.layers)))


@dataclass
class TrainProgress:
    """What a training call did: steps and positions, per-step mean loss (bits), resumed from."""

    steps: int
    positions: int
    losses_bits: list[float]
    resumed_from: int
    seconds: float


def train_tuned_lens(
    handle: ModelHandle,
    texts: Mapping[str, Sequence[str]],
    out: str | Path,
    *,
    settings: LensTrainSettings | None = None,
    provenance: Mapping[str, Any] | None = None,
    progress: bool = False,
    stop_after_steps: int | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> tuple[TunedLens, TrainProgress]:
    """Train (or continue training) a tuned lens for ``handle`` on parallel ``texts``
    (``{language: sentences}``, line *i* = sentence *i*) and save it into ``out``.

    ``stop_after_steps`` ends the call early (checkpoint written) — how tests simulate a kill.
    Returns the lens and what was done; the saved folder is complete only after the last step.
    """
    opts = settings or LensTrainSettings()
    opts.validate()
    folder = Path(out).expanduser()
    n_sentences = min(len(v) for v in texts.values())
    held = HeldOut(opts.holdout_every)
    ids = held.train_ids(n_sentences)
    stream = list(round_robin(texts, ids, seed=opts.seed))
    batches = [
        stream[i : i + opts.batch_sentences] for i in range(0, len(stream), opts.batch_sentences)
    ]
    fingerprint = {
        "model_hash": handle.model_hash,
        "languages": sorted(texts),
        "n_sentences": n_sentences,
        "settings": asdict(opts),
        **{k: v for k, v in (provenance or {}).items() if k in ("data", "data_hash", "split")},
    }
    trained = opts.trained_layers(handle.n_layers)
    lens = TunedLens.load(opts.init_from, handle) if opts.init_from else TunedLens(handle)
    if opts.init_from:
        fingerprint["init_sha256"] = _folder_digest(Path(opts.init_from))
    params = [p for layer in trained for p in lens.translators[layer].parameters()]
    optimiser = torch.optim.Adam(params, lr=opts.lr)
    # Steps are capped by tokens: estimate positions per batch from the first batch seen.
    sampler = torch.Generator().manual_seed(opts.seed)
    state = _resume(folder, fingerprint, lens, optimiser, sampler)
    step, positions, losses = state["step"], state["positions"], state["losses"]
    resumed_from = step
    started = time.time()
    bar = _progress_bar(opts.tokens, positions, enabled=progress)

    def save_checkpoint() -> None:
        _checkpoint(
            folder,
            fingerprint,
            lens,
            optimiser=optimiser,
            sampler=sampler,
            step=step,
            positions=positions,
            losses=losses,
        )

    try:
        while positions < opts.tokens and step < len(batches):
            if stop_after_steps is not None and step - resumed_from >= stop_after_steps:
                break
            frac = positions / opts.tokens
            for group in optimiser.param_groups:
                group["lr"] = opts.lr * max(0.05, 1.0 - frac)
            batch = [text for _, _, text in batches[step]]
            loss_bits, n_pos = _train_step(
                handle, lens, optimiser, batch, opts=opts, sampler=sampler, layers=trained
            )
            step += 1
            positions += n_pos
            losses.append(loss_bits)
            if on_step is not None:
                on_step(step, loss_bits)
            if bar is not None:
                bar.update(n_pos)
                bar.set_postfix(loss_bits=f"{loss_bits:.3f}", step=step)
            if step % opts.checkpoint_every == 0:
                save_checkpoint()
    finally:
        if bar is not None:
            bar.close()
    done = positions >= opts.tokens or step >= len(batches)
    if done:
        manifest = {
            **fingerprint,
            **dict(provenance or {}),
            "model": handle.name,
            "steps": step,
            "positions": positions,
            "final_loss_bits": losses[-1] if losses else None,
            "held_out": f"sentence ids i with i % {opts.holdout_every} == 0",
        }
        lens.save(folder, provenance=manifest)
        (folder / CHECKPOINT).unlink(missing_ok=True)
    else:
        save_checkpoint()
    elapsed = time.time() - started
    return lens, TrainProgress(step - resumed_from, positions, losses, resumed_from, elapsed)


def layer_states(
    handle: ModelHandle, texts: Sequence[str], *, max_length: int
) -> tuple[list[torch.Tensor], int]:
    """Every layer's states at every predicting position: ``[L + 1]`` tensors ``[P, D]``.

    One forward through the capture engine (no LM head). The BOS position, when the tokenizer
    adds one, is dropped: its attention-sink state predicts nothing."""
    result = capture(
        handle,
        list(texts),
        layers="all",
        options=CaptureOptions(pooling="none", max_length=max_length, skip_bos=False),
    )
    bos = handle.tokenizer.bos_token_id
    first = 1 if bos is not None else 0
    per_layer = [
        torch.cat([row[first:] for row in result.tokens[layer]]) for layer in result.layers
    ]
    return per_layer, int(per_layer[0].shape[0])


def _train_step(
    handle: ModelHandle,
    lens: TunedLens,
    optimiser: torch.optim.Optimizer,
    texts: Sequence[str],
    *,
    opts: LensTrainSettings,
    sampler: torch.Generator,
    layers: Sequence[int],
) -> tuple[float, int]:
    states, n_pos = layer_states(handle, texts, max_length=opts.max_length)
    with torch.no_grad():
        final = lens.unembed.log_probs(states[-1])  # [P, V], the model's own prediction
        target = coarse_target(final, opts.top_k) if opts.loss == "coarse" else None
    optimiser.zero_grad(set_to_none=True)
    total = 0.0
    n_layers = len(layers)
    for layer in layers:
        translated = lens.translate(states[layer].float(), layer)
        if target is not None:
            kl = kl_coarse(
                lens.unembed,
                translated,
                target,
                rest_samples=opts.rest_samples,
                generator=sampler,
            )
        else:
            kl = kl_full(final, lens.unembed(translated))
        loss = kl.mean() / n_layers
        loss.backward()  # type: ignore[no-untyped-call]
        total += float(loss.detach())
    optimiser.step()
    return total / LN2, n_pos


def _folder_digest(folder: Path) -> str:
    """sha256 of a finished lens folder's weights and manifest: a refinement records exactly
    which lens it started from, and a checkpoint never resumes onto another one."""
    import hashlib

    digest = hashlib.sha256()
    for name in ("manifest.json", "translators.safetensors"):
        path = folder / name
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


def _checkpoint(
    folder: Path,
    fingerprint: dict[str, Any],
    lens: TunedLens,
    *,
    optimiser: torch.optim.Optimizer,
    sampler: torch.Generator,
    step: int,
    positions: int,
    losses: list[float],
) -> None:
    buffer = io.BytesIO()
    torch.save(
        {
            "fingerprint": json.dumps(fingerprint, sort_keys=True),
            "translators": lens.state_tensors(),
            "optimiser": optimiser.state_dict(),
            "sampler": sampler.get_state(),
            "step": step,
            "positions": positions,
            "losses": losses,
        },
        buffer,
    )
    atomic_write_bytes(folder / CHECKPOINT, buffer.getvalue())


def _resume(
    folder: Path,
    fingerprint: dict[str, Any],
    lens: TunedLens,
    optimiser: torch.optim.Optimizer,
    sampler: torch.Generator,
) -> dict[str, Any]:
    path = folder / CHECKPOINT
    fresh: dict[str, Any] = {"step": 0, "positions": 0, "losses": []}
    if not path.is_file():
        return fresh
    saved = torch.load(path, map_location="cpu", weights_only=True)
    if saved["fingerprint"] != json.dumps(fingerprint, sort_keys=True):
        raise ConfigError(
            f"{path} is a checkpoint of a lens trained with other settings, model or data",
            fix="rerun with the same options, or pick another --out",
        )
    lens.load_state_dict(saved["translators"])
    optimiser.load_state_dict(saved["optimiser"])
    sampler.set_state(saved["sampler"])
    return {"step": saved["step"], "positions": saved["positions"], "losses": saved["losses"]}


def _progress_bar(total: int, done: int, *, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=done, desc="lens train", unit="pos", leave=False)
