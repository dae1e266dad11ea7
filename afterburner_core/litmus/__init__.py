"""Litmus: scoring code against the human distribution (percentiles, aggregates, reports)."""
