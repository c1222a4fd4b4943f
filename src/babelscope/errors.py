"""User-facing errors.

Every mistake a user can make (bad alias, missing file, layer out of range, …) raises
:class:`BabelscopeError` with a one-line message that names the fix. The CLI prints that line
and exits with code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class BabelscopeError(Exception):
    """A problem with the user's input; the message says how to fix it."""

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.problem = message
        self.fix = fix
        super().__init__(f"{message} — {fix}" if fix else message)


class ConfigError(BabelscopeError):
    """Invalid option value (dtype, device, layer index, …)."""


class ModelNotFoundError(BabelscopeError):
    """The model spec names nothing we can load."""


class DataError(BabelscopeError):
    """Input data is missing, malformed or inconsistent."""


class LanguageError(BabelscopeError):
    """An unknown or unsupported language code."""
