"""Shared fixtures of the reader tests; the helpers live in source_fixtures.py."""

from api_fixtures import build_erp
from source_fixtures import build

__all__ = ["build", "build_erp"]
