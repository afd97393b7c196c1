"""What a run found, as frozen data that renderers only format."""
