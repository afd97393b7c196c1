"""The reconciliation engine: pure Ibis stages executed by a Backend."""
