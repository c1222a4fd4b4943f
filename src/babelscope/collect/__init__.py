"""Collecting over a dataset: pooled states and next-token bits of many texts, through the
activation store — the machinery the ranking, SIB-200 and steering's fits share (and next
syntax probes, ITDA and translation), below every analysis.

- :mod:`.spec`: :class:`ForwardSpec` (what a shard holds), :func:`state_name`;
- :mod:`.forward`: :func:`forward_texts`, one engine pass per batch → pooled states + bits;
- :mod:`.next_token`: :func:`next_token_bits` (through the one ``Unembed``), covered text;
- :mod:`.bits`: :func:`bits_per_char` of single texts (steering's fluency);
- :mod:`.groups`, :mod:`.fill`, :mod:`.reader`, :mod:`.progress`: :class:`Group`,
  :func:`fill_store`, :class:`StoreReader`, the progress bar;
- :mod:`.identity`: :func:`store_identity`, the hash key of a store folder.
"""

from __future__ import annotations

from babelscope.collect.bits import bits_per_char
from babelscope.collect.fill import fill_store
from babelscope.collect.forward import forward_texts
from babelscope.collect.groups import Group
from babelscope.collect.identity import store_identity
from babelscope.collect.next_token import next_token_bits
from babelscope.collect.reader import StoreReader
from babelscope.collect.spec import TEXT_TENSORS, ForwardSpec, state_name

__all__ = [
    "TEXT_TENSORS",
    "ForwardSpec",
    "Group",
    "StoreReader",
    "bits_per_char",
    "fill_store",
    "forward_texts",
    "next_token_bits",
    "state_name",
    "store_identity",
]
