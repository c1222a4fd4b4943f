"""A cache entry's tokenizer read straight from its ``tokenizer.json`` (the cached-load fast path).

Why: ``AutoTokenizer.from_pretrained`` on gemma-3-270m's entry takes 3.5 s on an AMD EPYC and
5–7 s on an Intel Xeon (profiled): its class, ``GemmaTokenizer``, has its own ``__init__`` that
rebuilds the 262k-token BPE from a vocab and merges which transformers first extracts by parsing
the 33 MB ``tokenizer.json`` in Python, more than once. That file already holds the finished
pipeline (normaliser, pre-tokeniser, model, post-processor, decoder, added tokens), and the
``tokenizers`` library reads it in Rust in a fraction of the time. We build the very class
transformers would build (so ``type(tokenizer)``, its class defaults such as Gemma's left
padding, and the tokenizer hashes in run manifests stay the same) but run only the generic
``TokenizersBackend.__init__`` on the file, skipping the class's own rebuilding ``__init__``.
That is exact only for classes that add nothing but that ``__init__`` and class attributes
(true of ``GemmaTokenizer`` and of the plain ``TokenizersBackend``); for others we return None.

Only folders whose tokenizer files we fully understand take this path; anything else (a slow
tokenizer, ``special_tokens_map.json``, custom code) returns None and the caller falls back to
``from_pretrained``. ``tests/slow/test_bundled_models.py`` and
``tests/integration/test_fast_tokenizer.py`` prove that both give the same ids, special and added
tokens, padding and decoding.
"""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any

# This path reads tokenizer.json, tokenizer_config.json and chat_template.jinja. Any of these other
# tokenizer files (legacy special-token maps, a slow tokenizer's vocab, additional chat templates)
# carries settings it would drop, so such folders are left to from_pretrained.
_OTHER_TOKENIZER_FILES = (
    "special_tokens_map.json",
    "added_tokens.json",
    "chat_template.json",
    "additional_chat_templates",
    "tokenizer.model",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
)
# tokenizer_config.json keys that describe where the files came from, not the tokenizer.
_BOOKKEEPING = {"tokenizer_class", "is_local", "local_files_only", "name_or_path"}
_SPECIAL_TOKENS = (
    "bos_token",
    "eos_token",
    "unk_token",
    "sep_token",
    "pad_token",
    "cls_token",
    "mask_token",
)
# Keys passed on unchanged (from_pretrained passes them as they are too). Any other key
# (added_tokens_decoder, extra or model-specific special tokens, auto_map, …) gets conversions
# in from_pretrained that this path does not copy, so such a folder is left to it.
_PLAIN = {
    *_SPECIAL_TOKENS,
    "backend",
    "model_max_length",
    "padding_side",
    "truncation_side",
    "model_input_names",
    "clean_up_tokenization_spaces",
    "split_special_tokens",
    "chat_template",
    "add_bos_token",
    "add_eos_token",
    "add_prefix_space",
}


def load_fast_tokenizer(folder: Path) -> Any | None:
    """The tokenizer saved in ``folder`` built from ``tokenizer.json`` alone, or None when the
    folder holds something this path does not reproduce exactly."""
    config_file, json_file = folder / "tokenizer_config.json", folder / "tokenizer.json"
    if not (config_file.is_file() and json_file.is_file()):
        return None
    if any((folder / name).exists() for name in _OTHER_TOKENIZER_FILES):
        return None
    config = json.loads(config_file.read_text(encoding="utf-8"))
    if config.get("backend", "tokenizers") != "tokenizers" or set(config) - _BOOKKEEPING - _PLAIN:
        return None
    if not all(isinstance(config.get(key, ""), str) for key in _SPECIAL_TOKENS):
        return None  # an AddedToken dict: from_pretrained converts it
    reference_class = _reference_class(config.get("tokenizer_class"))
    if reference_class is None:
        return None

    from transformers.tokenization_utils_tokenizers import TokenizersBackend

    kwargs = {key: value for key, value in config.items() if key not in _BOOKKEEPING}
    # from_pretrained drops these when a tokenizer.json exists: its post-processor decides.
    kwargs.pop("add_bos_token", None)
    kwargs.pop("add_eos_token", None)
    template = folder / "chat_template.jinja"
    if template.is_file():
        kwargs["chat_template"] = template.read_text(encoding="utf-8")
    # An instance of the reference class (its class attributes apply) initialised by the
    # generic backend from tokenizer.json, instead of by the class's own rebuilding __init__.
    tokenizer: Any = object.__new__(reference_class)
    TokenizersBackend.__init__(
        tokenizer, tokenizer_file=str(json_file), name_or_path=str(folder), **kwargs
    )
    return tokenizer


def _reference_class(name: object) -> type | None:
    """The tokenizer class transformers would instantiate, if it is ``TokenizersBackend`` or a
    subclass that adds only an ``__init__`` and class attributes (no methods or properties that
    could rely on state its ``__init__`` sets)."""
    from transformers.models.auto.tokenization_auto import tokenizer_class_from_name
    from transformers.tokenization_utils_tokenizers import TokenizersBackend

    if not isinstance(name, str):
        return None
    try:
        found = tokenizer_class_from_name(name)
    except (ImportError, AttributeError, ValueError):
        return None
    if not isinstance(found, type) or not issubclass(found, TokenizersBackend):
        return None
    behaviour = (types.FunctionType, property, classmethod, staticmethod)
    for klass in found.__mro__[: found.__mro__.index(TokenizersBackend)]:
        for attribute, value in vars(klass).items():
            if attribute != "__init__" and isinstance(value, behaviour):
                return None
    return found
