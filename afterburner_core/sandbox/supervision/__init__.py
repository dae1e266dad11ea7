"""The supervisor and isolation: `abrun` (C: spawn, limit, sample, feed and time runs), its jail
(namespaces, seccomp, cgroups) and the warm-container agent `abagent`, with their Python drivers."""
