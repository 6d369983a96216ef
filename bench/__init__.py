"""Rupor's benchmarks: sending at the platforms' ceilings, against peers, core overhead,
scale and inbound webhooks. Run `python -m bench --quick` or `--full`; see docs/benchmarks.md.

Every benchmark prints a table row and one JSON line per figure; each figure names its goal
and says whether it was met. Timings live here, never in tests.
"""
