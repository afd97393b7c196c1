"""crossfoot: make CRM pipeline numbers and finance numbers agree, and explain why they did not."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
