"""Who measures where and when: exclusive cores (host-wide locks) and interleaved rounds."""
