"""Helpers shared by the tests (imported as ``tests.support.*``); fixtures live in conftest.py."""
