"""The web app's settings: the one ``geo.settings.Settings``, plus Flask's own keys.

``create_app(config)`` takes overrides: keys that name a setting (``THRESHOLD_MIN`` or
``threshold_min``) are settings and win over the config file and the environment; other
keys (``TESTING``, ``REPORT_PDF_RENDERS``) go to Flask's config unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geo.errors import ConfigError
from geo.settings import Settings, load_settings, setting_name

__all__ = ["ConfigError", "split_config", "web_settings"]


def split_config(config: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(settings overrides, plain Flask keys) of ``create_app``'s ``config``."""
    overrides, flask_keys = {}, {}
    for key, value in (config or {}).items():
        (overrides if setting_name(key) else flask_keys)[key] = value
    return overrides, flask_keys


def web_settings(
    config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> tuple[Settings, dict[str, Any]]:
    """The settings (defaults < file < environment < ``config``) and the Flask keys."""
    overrides, flask_keys = split_config(config)
    return load_settings(overrides, environ, flags_origin="create_app(config=...)"), flask_keys
