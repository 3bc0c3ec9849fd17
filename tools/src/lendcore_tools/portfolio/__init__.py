"""Synthetic portfolios: a realistic book of loans for demos, tests and benchmarks."""
