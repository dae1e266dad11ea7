"""The three efficiency objectives, and what each is in a report: one table for the whole project.

Prompts, rewards, IOF, training data and Litmus all speak of "time", "memory" and "integral"; each
used to carry its own copy of which `RunReport` field that is and in which unit, and copies drift.
Units are the report's: time in ms, peak memory in KiB, the memory-time integral in KiB·ms.
"""

from __future__ import annotations

from typing import Literal, cast

from afterburner_core.errors import AfterburnerError
from afterburner_core.models import RunReport

Objective = Literal["time", "memory", "integral"]
OBJECTIVES: tuple[str, ...] = ("time", "memory", "integral")
REPORT_FIELD: dict[str, str] = {"time": "time_ms", "memory": "memory_kb", "integral": "integral_kb_ms"}
UNIT: dict[str, str] = {"time": "ms", "memory": "KiB", "integral": "KiB·ms"}
FIELD_UNIT: dict[str, str] = {REPORT_FIELD[name]: UNIT[name] for name in OBJECTIVES}  # report field -> unit


def parse_objective(name: str) -> Objective:
    """`name` as an `Objective`, or the one-line error every entry point gives for another word."""
    if name not in OBJECTIVES:
        raise AfterburnerError(f"unknown objective {name!r} (one of: {', '.join(OBJECTIVES)})")
    return cast(Objective, name)


def value_of(report: RunReport | None, objective: str) -> float | None:
    """The report's value of `objective` (None without a report or a measurement)."""
    if report is None:
        return None
    value = getattr(report, REPORT_FIELD[objective], None)
    return None if value is None else float(value)


__all__ = ["FIELD_UNIT", "OBJECTIVES", "REPORT_FIELD", "UNIT", "Objective", "parse_objective", "value_of"]
