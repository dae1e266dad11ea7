"""The backends: `local` (the engine every other one extends or wraps), `docker` (warm hardened
containers) and `ray` (actors over a cluster, each on an inner backend)."""
