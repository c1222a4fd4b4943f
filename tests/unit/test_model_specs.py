"""Model specs, cache paths, dtype/device and layer parsing: the user-facing edges of loading."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from babelscope.capture.sites import Site, resolve_layers
from babelscope.errors import ConfigError, ModelNotFoundError
from babelscope.models import cache
from babelscope.models.devices import parse_device, parse_dtype
from babelscope.models.specs import parse_model_spec
from babelscope.paths import cache_root


def test_bundled_aliases_and_hub_ids_are_recognised() -> None:
    assert parse_model_spec("gemma-3-270m").kind == "bundled"
    assert parse_model_spec("smollm2-135m").kind == "bundled"
    src = parse_model_spec("meta-llama/Llama-2-7b-hf@main")
    assert (src.kind, src.value, src.revision) == ("hub", "meta-llama/Llama-2-7b-hf", "main")


def test_local_folder_and_gguf(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    assert parse_model_spec(str(tmp_path)).kind == "local"
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    assert parse_model_spec(str(gguf)).kind == "gguf"


@pytest.mark.parametrize("spec", ["", "nonsense", "./missing-dir", "/no/such/file.gguf", "a/b/c"])
def test_unknown_specs_name_the_fix(spec: str) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        parse_model_spec(spec)
    assert "gemma-3-270m" in str(info.value) or "path" in str(info.value)
    assert "\n" not in str(info.value)


def test_cache_root_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("BABELSCOPE_CACHE", raising=False)
    assert cache_root() == (tmp_path / "xdg" / "babelscope").resolve()
    monkeypatch.setenv("BABELSCOPE_CACHE", str(tmp_path / "mine"))
    assert cache_root() == (tmp_path / "mine").resolve()


@pytest.mark.parametrize("bad", ["../../etc", "abc", "../" + "0" * 64, "0" * 63 + "/"])
def test_cache_entries_cannot_escape_the_cache(bad: str) -> None:
    with pytest.raises(ValueError):
        cache.entry_dir(bad)


def test_incomplete_cache_entries_are_never_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BABELSCOPE_CACHE", str(tmp_path))
    sha = "ab" * 32
    entry = cache.entry_dir(sha)
    entry.mkdir(parents=True)
    (entry / "model.safetensors").write_bytes(b"partial")
    assert cache.lookup(sha) is None  # no marker: a killed conversion
    (entry / cache.MARKER).write_text(json.dumps({"source_sha256": "cd" * 32, "conversion": 1}))
    assert cache.lookup(sha) is None  # marker of another file
    (entry / cache.MARKER).write_text(
        json.dumps({"source_sha256": sha, "conversion": cache.CONVERSION_VERSION})
    )
    assert cache.lookup(sha) == entry


def test_stale_temporary_folders_are_cleaned(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BABELSCOPE_CACHE", str(tmp_path))
    root = cache.models_dir()
    root.mkdir(parents=True)
    dead = root / ".tmp-abc-999999999-x"
    alive = root / f".tmp-abc-{os.getppid()}-x"
    dead.mkdir()
    alive.mkdir()
    cache._clean_stale_temps(root)
    assert not dead.exists() and alive.exists()


def test_dtype_and_device_parsing() -> None:
    assert parse_dtype("bf16") is torch.bfloat16
    assert parse_dtype("float32") is torch.float32
    assert parse_device("cpu").type == "cpu"
    with pytest.raises(ConfigError, match="float32"):
        parse_dtype("float8")
    with pytest.raises(ConfigError):
        parse_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="--device cpu"):
            parse_device("cuda")


def test_layer_selection() -> None:
    assert resolve_layers("all", 4) == [0, 1, 2, 3, 4]
    assert resolve_layers("0,2-3,-1", 4) == [0, 2, 3, 4]
    assert resolve_layers(-1, 18) == [18]
    for bad in ("5", "x", "-7", [9]):
        with pytest.raises(ConfigError, match=r"0\.\.4|e\.g\."):
            resolve_layers(bad, 4)  # type: ignore[arg-type]


def test_site_round_trip() -> None:
    site = Site(7)
    assert str(site) == "resid_post.7"
    assert Site.parse(str(site)) == site
    assert Site.parse("3") == Site(3)
    with pytest.raises(ConfigError):
        Site.parse("attn.x")
