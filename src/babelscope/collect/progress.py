"""Progress of filling the store: languages done / remaining and an ETA on a tqdm bar."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from babelscope.collect.groups import Group


class Progress:
    """Languages done / remaining and an ETA, on a tqdm bar (stderr), or silent."""

    def __init__(self, groups: Sequence[Group], *, enabled: bool, unit_total: int) -> None:
        self.languages = list(dict.fromkeys(g.language for g in groups))
        self.done: set[str] = set()
        self.bar: Any = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                total=unit_total,
                unit="sent",
                desc="rank",
                file=sys.stderr,
                dynamic_ncols=True,
                smoothing=0.05,
            )

    def start(self, group: Group) -> None:
        if self.bar is not None:
            left = len(self.languages) - len(self.done)
            self.bar.set_postfix_str(
                f"languages {len(self.done)}/{len(self.languages)} done, {left} left: {group.name}"
            )

    def advance(self, rows: int, *, cached: bool) -> None:
        if self.bar is None:
            return
        if cached:  # cached work must not speed up the ETA: count it as already there
            self.bar.total = max(0, self.bar.total - rows)
            self.bar.refresh()
        else:
            self.bar.update(rows)

    def finish_language(self, language: str) -> None:
        self.done.add(language)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"languages {len(self.done)}/{len(self.languages)} done")
            self.bar.close()
