"""Benchmarks for comfyvn-vault, each against a real peer (git, DVC) on the same files.

Run them all with ``python -m benches.run_all`` (``--quick`` for a smoke run,
``--only NAME`` for one). They are not tests: ``make test`` does not run them.
"""
