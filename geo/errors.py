"""The one base class of every error a user can cause and fix.

Why one base: each entry point (every CLI subcommand, the web app's start and its error
pages) catches ``CulturamapError`` once, prints one clean line or page and exits non-zero,
instead of listing the dozen specific types. The specific types stay (``LayerError``,
``NetworkError``...) so that callers who can recover from one of them still can. Most also
derive from ``ValueError``, as they always did, so older ``except ValueError`` keeps working.
"""

from __future__ import annotations


class CulturamapError(Exception):
    """Bad input or settings; ``str()`` names the file, row or setting and the problem."""


class ConfigError(CulturamapError, ValueError):
    """A setting is unknown or has a value the product cannot use; names where it came from."""
