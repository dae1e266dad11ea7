"""Monolith: the execution sandbox (supervisor, limits, scheduling, compile cache, measurement)."""
