"""The errors a continuation that cannot be used raises; each message is one line."""

from __future__ import annotations


class ContinuationFormatError(ValueError):
    """A continuation or agent output does not have the format's shape or obey its rules."""


class ContinuationImportError(ValueError):
    """A continuation cannot be resumed; the message names the problem."""
