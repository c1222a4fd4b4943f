#!/usr/bin/env bash
# The one GPU check (≤ 8 min on one GPU, from a clean clone): make the venv, run the CUDA
# parity tests (tests/gpu), then print rank and latent throughput against a plain Hugging Face
# forward on the same GPU (bench/gpu_throughput.py; extra arguments go to it).
#
#   bench/gpu_check.sh                      # smollm2-135m and gemma-3-270m, bfloat16
#   bench/gpu_check.sh --dtype float32
#
# `make venv` installs torch from PyPI (CUDA wheels on Linux). If this machine needs another
# CUDA build, install it into .venv first and run `make venv TORCH_SPEC=` before this script.
set -euo pipefail
cd "$(dirname "$0")/.."
make venv
.venv/bin/python -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else "no CUDA: this check needs a GPU")'
.venv/bin/python -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, torch.cuda.get_device_name())'
echo "== CUDA parity (tests/gpu) =="
timeout 240 .venv/bin/python -m pytest tests/gpu -q -rs -p no:cacheprovider
echo "== throughput =="
timeout 300 .venv/bin/python bench/gpu_throughput.py "$@"
