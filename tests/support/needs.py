"""The one way a test may skip: a named requirement that is missing, never silently in CI.

Why: a CI machine without Chromium, poppler, GDAL's OAPIF driver or the shared data folder
used to pass with those tests skipped. Here a missing requirement skips only on a developer's
machine (with the reason and how to install it); with ``CI=true`` (as CI services set) it
fails with the same message. tests/test_no_skips.py keeps every other skip out of the tests.
"""

from __future__ import annotations

import os

import pytest

TRUE = {"1", "true", "yes", "on"}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in TRUE


def require(available: bool, what: str, how: str, *, module: bool = False) -> None:
    """Go on if ``available``; else skip locally and fail in CI, saying ``how`` to fix it."""
    if available:
        return
    message = f"{what} is missing; {how}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: a missing requirement fails the run, it never skips)",
                    pytrace=False)
    pytest.skip(message, allow_module_level=module)


def require_outside_input(available: bool, what: str, how: str) -> None:
    """An input that lives OUTSIDE the repository and that the product never reads at run
    time: the shared folder of public source data beside the checkout, which only
    tools/import_shared_data.py reads. A clean CI checkout may not have it, so its absence
    skips even in CI, with the reason in the test report; what the product ships from it
    (data/) is tested by tests/test_real_data.py in every run."""
    if not available:
        pytest.skip(f"{what} is not beside this checkout; {how}")
