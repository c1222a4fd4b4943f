"""CPU float32 against CUDA float32 and bfloat16: captured states, lens log-probabilities and
rank tables. Skipped without CUDA (never run on the project's CPU machine: the tolerances
below are reasoned, not yet measured).

Tolerances, and why:

- **CUDA float32 states**: ``atol = 2⁻¹² · max|layer|`` per layer (rtol 0). cuBLAS chooses
  other GEMM kernels (split-K, other tile orders) than the CPU's oneDNN/MKL, so every dot
  product of length D sums in another order: ~√D · eps32 relative per matmul, compounding
  over L blocks — ≈ 2⁻²³ · √576 · 30 ≈ 9e-5 for smollm2-135m, so 2⁻¹² (2.4e-4) leaves ~3×.
  TF32 is switched off here (it would make float32 GEMMs 10-bit-mantissa).
- **CUDA bfloat16 states**: a relative error ‖cuda − cpu‖/‖cpu‖ ≤ 0.1 per layer and text,
  and a per-token cosine ≥ 0.99. bfloat16 keeps 8 mantissa bits (eps 2⁻⁸ ≈ 3.9e-3), so single
  elements near zero can be off by 100 %: only norms and directions are meaningful. Proxy
  measured on the CPU (bfloat16 vs float32 on this machine, smollm2-135m, these texts): worst
  relative error 0.073 at the last layer, driven by the first position's massive activation
  (0.024 without it), worst cosine 0.997; a GPU's bfloat16 kernels should land near that.
- **Lens**: float32: max |Δp| ≤ 1e-4 over the whole vocabulary (probabilities are bounded by
  1, so an absolute bound is the natural one); bfloat16: max |Δp| ≤ 0.1 (CPU proxy: 0.032)
  and the top-1 token equal at ≥ 90 % of (layer, text) pairs of the last half of the layers.
- **Rank tables**: every metric of the summary (cosines, MEXA, CKA, SVCCA: bounded in
  [−1, 1], from states within the bounds above) within 1e-3 in float32 and 0.05 in bfloat16;
  bits per byte within 1e-4 (float32) and 2 % (bfloat16) relative.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")

TEXTS = [
    "The cat sat on the mat.",
    "Le chat est assis sur le tapis, près de la fenêtre.",
    "猫がマットの上に座った。",
    "Кошка сидела на коврике.",
]
F32_STATE = 2.0**-12


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from test_rank_support import save_tiny_model

    return save_tiny_model(tmp_path_factory.mktemp("model"))


def _specs(model_dir: Path) -> list[str]:
    """The tiny random model always; smollm2-135m when its bundled package is installed."""
    from babelscope.models.bundled import BUNDLED

    specs = [str(model_dir)]
    try:
        BUNDLED["smollm2-135m"].materialise(Path())
        specs.append("smollm2-135m")
    except Exception:  # not installed: the tiny model still checks the code paths
        pass
    return specs


def _load(spec: str, device: str, dtype: str):  # type: ignore[no-untyped-def]
    from babelscope import load_model

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    return load_model(spec, device=device, dtype=dtype, progress=False)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_states_and_lens_match_the_cpu(model_dir: Path, dtype: str) -> None:
    from babelscope.capture import capture
    from babelscope.lens.unembed import Unembed

    for spec in _specs(model_dir):
        cpu, gpu = _load(spec, "cpu", "float32"), _load(spec, "cuda", dtype)
        ref = capture(cpu, TEXTS, pooling="none", out_dtype=torch.float32)
        got = capture(gpu, TEXTS, pooling="none", out_dtype=torch.float32)
        top1_same = top1_all = 0
        for layer in ref.layers:
            for i in range(len(TEXTS)):
                a, b = ref.tokens[layer][i], got.tokens[layer][i].cpu()
                scale = float(a.abs().max())
                if dtype == "float32":
                    assert float((a - b).abs().max()) <= F32_STATE * scale, (spec, layer, i)
                else:
                    assert float((a - b).norm() / a.norm()) <= 0.1, (spec, layer, i)
                    cos = torch.nn.functional.cosine_similarity(a, b, dim=-1)
                    assert float(cos.min()) >= 0.99, (spec, layer, i)
                p_ref = Unembed(cpu).log_probs(a[-1:]).exp()
                p_got = Unembed(gpu).log_probs(b[-1:].to(gpu.device, gpu.dtype)).exp().cpu()
                assert float((p_ref - p_got).abs().max()) <= (1e-4 if dtype == "float32" else 0.1)
                if layer >= cpu.n_layers // 2:
                    top1_all += 1
                    top1_same += int(p_ref.argmax() == p_got.argmax())
        assert top1_same >= 0.9 * top1_all, (spec, top1_same, top1_all)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_rank_tables_match_the_cpu(model_dir: Path, tmp_path: Path, dtype: str) -> None:
    from test_rank_support import write_flores

    from babelscope.analyses.ranking import METRICS, RankSettings, run_rank
    from babelscope.data.flores import FloresDataset

    flores = FloresDataset.open(write_flores(tmp_path / "flores", 24))
    settings = RankSettings(sentences=24, shard_size=8, bootstrap=0)
    cpu, gpu = _load(str(model_dir), "cpu", "float32"), _load(str(model_dir), "cuda", dtype)
    ref = run_rank(cpu, flores, settings=settings, store_dir=tmp_path / "a", progress=False)
    got = run_rank(gpu, flores, settings=settings, store_dir=tmp_path / "b", progress=False)
    a = ref.result.summary.set_index("language").sort_index()
    b = got.result.summary.set_index("language").sort_index()
    metric_tol = 1e-3 if dtype == "float32" else 0.05
    for metric in [m for m in METRICS if m in a.columns]:
        assert float((a[metric] - b[metric]).abs().max()) <= metric_tol, metric
    bpb = "bits_per_byte"
    if bpb in a.columns:
        rel = ((a[bpb] - b[bpb]).abs() / a[bpb].abs()).max()
        assert float(rel) <= (1e-4 if dtype == "float32" else 0.02)
