"""Benchmarks: `make bench` (HTTP, bench/http/) and `make bench-aggregator` (Go rollups, bench/aggregator/).

Not part of `make test`: figures depend on the machine. Results go to bench/results/ as JSON.
"""
