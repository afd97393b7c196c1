"""Outputs of a run (SPEC §8): ``write_outputs(result, out_dir)`` writes the folder.

``summary.json``, ``exceptions.csv``, ``bridge.csv``, ``bridge_by_product_line.csv``,
``matches.csv``, ``rejects.csv``, ``exceptions.xlsx`` and ``report.html``, all
formatted from one frozen ``RunResult``.
"""

from __future__ import annotations

from crossfoot.outputs.render import OUTPUT_FILES, write_outputs

__all__ = ["OUTPUT_FILES", "write_outputs"]
