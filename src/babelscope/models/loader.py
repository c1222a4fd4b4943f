"""``load_model``: any causal LM (bundled alias, GGUF file, HF folder, hub id) → ModelHandle."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babelscope.errors import BabelscopeError, ModelNotFoundError
from babelscope.models import cache
from babelscope.models.architectures import ArchSpec, resolve_arch
from babelscope.models.bundled import BUNDLED
from babelscope.models.devices import parse_device, parse_dtype
from babelscope.models.fast_tokenizer import load_fast_tokenizer
from babelscope.models.handle import ModelHandle
from babelscope.models.hashing import cached_sha256, sha256_files
from babelscope.models.specs import ModelSource, parse_model_spec

if TYPE_CHECKING:
    import torch


def load_model(
    spec: str,
    *,
    dtype: str | torch.dtype = "float32",
    device: str | torch.device = "cpu",
    arch: ArchSpec | None = None,
    trust_remote_code: bool = False,
    progress: bool = True,
) -> ModelHandle:
    """Load a causal LM in eval mode with its tokenizer.

    ``spec``: a bundled alias (``gemma-3-270m``, ``smollm2-135m``), a ``.gguf`` file, a local HF
    folder, or a hub id ``org/name[@revision]``. GGUF sources are converted once into
    babelscope's cache (see :mod:`babelscope.models.cache`). ``arch`` overrides the registry.
    ``trust_remote_code`` stays off unless asked for explicitly.
    """
    torch_dtype = parse_dtype(dtype)
    torch_device = parse_device(device)
    source = parse_model_spec(spec)
    say = _stage_printer(progress)
    extra: dict[str, Any] = {}
    if source.kind in ("bundled", "gguf"):
        folder, model_hash = _converted_folder(source, say)
        extra["gguf_sha256"] = model_hash
        load_from, revision, remote = str(folder), None, False
    elif source.kind == "local":
        folder = Path(source.value)
        weights = [p for p in folder.iterdir() if p.suffix in (".safetensors", ".bin", ".json")]
        model_hash = sha256_files(weights)
        load_from, revision, remote = source.value, None, trust_remote_code
    else:
        load_from, revision, remote = source.value, source.revision, trust_remote_code
        model_hash = ""
    # Our own cache entries hold tokenizer files we wrote, so their tokenizer may skip
    # from_pretrained's slow rebuild (see fast_tokenizer.py).
    fast = source.kind in ("bundled", "gguf")
    model, tokenizer = _load_hf(load_from, revision, torch_dtype, remote, spec, fast_tokenizer=fast)
    if source.kind == "hub":
        model_hash = str(getattr(model.config, "_commit_hash", None) or "") or "unknown"
        extra["revision"] = source.revision
    model.to(torch_device)
    model.eval()
    model.requires_grad_(False)
    _ensure_pad_token(tokenizer)
    return ModelHandle(
        model=model,
        tokenizer=tokenizer,
        name=spec,
        source=source.kind,
        arch=resolve_arch(model, arch),
        model_hash=model_hash,
        extra=extra,
    )


def _converted_folder(source: ModelSource, say: Callable[[str], None]) -> tuple[Path, str]:
    if source.kind == "bundled":
        bundled = BUNDLED[source.value]
        sha = bundled.known_sha256()
        materialise = bundled.materialise
        if sha is None:
            sha = cached_sha256(materialise(Path()))
        label = bundled.alias
    else:
        path = Path(source.value)
        _check_gguf(path)
        sha = cached_sha256(path)

        def materialise(_scratch: Path) -> Path:
            return path

        label = path.name
    entry = cache.lookup(sha)
    if entry is None:
        say(f"converting {label} into babelscope's cache (once; ~1 minute)")
        entry = cache.convert_gguf(sha, materialise, label=label, on_stage=say)
    return entry, sha


def _check_gguf(path: Path) -> None:
    """Fail fast, with the fix, on a file that is not a readable GGUF."""
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ModelNotFoundError(
            f"cannot read {path}: {exc.strerror}", fix="check the path"
        ) from exc
    if magic != b"GGUF":
        raise ModelNotFoundError(
            f"{path} is not a GGUF file (bad magic bytes)", fix="re-download or re-export it"
        )
    try:
        from gguf import GGUFReader

        GGUFReader(str(path))
    except Exception as exc:
        raise ModelNotFoundError(
            f"{path} is a corrupt or truncated GGUF file ({type(exc).__name__})",
            fix="re-download or re-export it",
        ) from exc


def _load_hf(
    where: str,
    revision: str | None,
    dtype: torch.dtype,
    trust_remote_code: bool,
    spec: str,
    *,
    fast_tokenizer: bool = False,
) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    kwargs: dict[str, Any] = {"revision": revision, "trust_remote_code": trust_remote_code}
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # a 1-second "Loading weights" bar is noise
    try:
        tokenizer = load_fast_tokenizer(Path(where)) if fast_tokenizer else None
        if tokenizer is None:
            tokenizer = AutoTokenizer.from_pretrained(where, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(where, dtype=dtype, **kwargs)
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "trust_remote_code" in str(exc):
            raise BabelscopeError(
                f"{spec} needs custom code from its repository",
                fix="read that code, then pass --trust-remote-code",
            ) from exc
        raise ModelNotFoundError(
            f"could not load {spec!r}: {first[:200]}",
            fix="check the id (offline? use a bundled alias, a local folder or a .gguf file)",
        ) from exc
    finally:
        if bars:
            hf_logging.enable_progress_bar()
    return model, tokenizer


def _ensure_pad_token(tokenizer: Any) -> None:
    # Batching needs a pad token; reuse EOS (its embedding never matters: padded positions are
    # masked out of attention and pooling).
    if tokenizer.pad_token_id is None:
        with contextlib.suppress(AttributeError, ValueError):
            tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token


def _stage_printer(enabled: bool) -> Callable[[str], None]:
    def say(message: str) -> None:
        if enabled:
            print(f"babelscope: {message}", file=sys.stderr, flush=True)

    return say


def wrap_model(
    model: Any,
    tokenizer: Any,
    *,
    name: str = "in-memory model",
    arch: ArchSpec | None = None,
    model_hash: str = "unknown",
) -> ModelHandle:
    """A :class:`ModelHandle` around a model you already loaded (put in eval mode)."""
    model.eval()
    _ensure_pad_token(tokenizer)
    return ModelHandle(
        model=model,
        tokenizer=tokenizer,
        name=name,
        source="memory",
        arch=resolve_arch(model, arch),
        model_hash=model_hash,
    )
