"""One table of objectives: every objective is a measured field of a report, with a unit."""

from __future__ import annotations

from afterburner_core.models import CompileInfo, Interval, RunReport, Verdict
from afterburner_core.objectives import FIELD_UNIT, OBJECTIVES, REPORT_FIELD, UNIT, value_of


def test_every_objective_is_a_report_field_with_an_interval_and_a_unit() -> None:
    assert set(REPORT_FIELD) == set(UNIT) == set(OBJECTIVES) == {"time", "memory", "integral"}
    for objective in OBJECTIVES:
        assert REPORT_FIELD[objective] in RunReport.model_fields
        assert REPORT_FIELD[objective] in Interval.model_fields
        assert FIELD_UNIT[REPORT_FIELD[objective]] == UNIT[objective]


def test_value_of_reads_the_report() -> None:
    report = RunReport(
        verdict=Verdict.accepted,
        passed=True,
        language="python",
        compile=CompileInfo(ok=True),
        time_ms=12,
        memory_kb=300.0,
    )
    assert value_of(report, "time") == 12.0 and isinstance(value_of(report, "time"), float)
    assert value_of(report, "memory") == 300.0
    assert value_of(report, "integral") is None  # not measured
    assert value_of(None, "time") is None
