"""A deterministic sample company (Salesforce + NetSuite) with labelled differences.

``generate(out_dir)`` writes ``crossfoot.yaml``, the input files of
docs/inputs.md and ``labels.csv``: the differences a correct engine must report.
``schedule_oracle`` recomputes the recognition rules independently of the engine.
"""

from __future__ import annotations

from crossfoot.demo.company import DemoCompany, Label, generate

__all__ = ["DemoCompany", "Label", "generate"]
