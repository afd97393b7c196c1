"""Test-wide settings."""

from __future__ import annotations

import os

# Printing report.pdf starts a browser for every run; the browser tests
# (tests/browser) turn it back on where they check the PDF.
os.environ.setdefault("CROSSFOOT_PDF", "off")
