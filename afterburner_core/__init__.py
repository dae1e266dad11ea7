"""Afterburner: measure and improve the efficiency of LLM-written code (time, memory, integral)."""

__version__ = "0.1.0"
