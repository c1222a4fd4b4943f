"""Activation patching across languages (Dumas et al. 2024): is a concept's mid-stack state
independent of the language it will be written in?"""

from __future__ import annotations

from babelscope.analyses.patching.pairs import Direction, PatchSetup
from babelscope.analyses.patching.result import PatchingResult, PatchRun
from babelscope.analyses.patching.run import patching_experiment

__all__ = ["Direction", "PatchRun", "PatchSetup", "PatchingResult", "patching_experiment"]
