"""Shared fixtures of the reader tests; the helpers live in source_fixtures.py."""

from source_fixtures import build

__all__ = ["build"]
