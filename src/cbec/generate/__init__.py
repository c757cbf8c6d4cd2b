"""A deterministic, realistic load of partner files (``cbec generate``): see docs/generate.md."""
