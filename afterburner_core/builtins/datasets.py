"""The bundled dataset: venus-mini, 12 LeetCode-style and 5 APPS-style problems in six languages."""

from __future__ import annotations

from afterburner_core.contracts import DatasetInfo
from afterburner_core.datasets import DATA_DIR
from afterburner_core.hookspecs import hookimpl


@hookimpl
def afterburner_datasets() -> list[DatasetInfo]:
    return [DatasetInfo("venus-mini", "bundled offline Venus-shaped dataset, six languages", DATA_DIR / "venus_mini")]
