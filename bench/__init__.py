"""Benchmarks of the `can_contact()` engine: `python -m bench.run` (see bench/README.md)."""
