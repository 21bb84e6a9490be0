"""Benchmarks (`make bench`): numbers, never pass/fail."""
