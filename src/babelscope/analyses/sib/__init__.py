"""SIB-200 topic classification: frozen-state probes (MTEB protocol, full training, English →
language transfer) and prompted k-shot classification, per language and layer."""

from __future__ import annotations

from babelscope.analyses.sib.pipeline import SibRun, run_sib, sib
from babelscope.analyses.sib.result import SibResult
from babelscope.analyses.sib.settings import CHANCE, PROTOCOLS, SibSettings

__all__ = ["CHANCE", "PROTOCOLS", "SibResult", "SibRun", "SibSettings", "run_sib", "sib"]
