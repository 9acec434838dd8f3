"""Rapport's benchmarks: `make bench` (python -m bench). Figures are recorded in BENCHMARKS.md."""
