"""The shared measuring engine: reports from the supervisor's records (verdicts, metrics,
statistics), the compile cache and compiler diagnostics -- the same for every backend."""
