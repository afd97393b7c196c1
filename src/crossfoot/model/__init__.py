"""The canonical lead-to-cash model (SPEC §3): schemas, field maps, loading."""
