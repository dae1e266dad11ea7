"""The reward label: what the execution reward must know about a prompt, in one validated shape.

A trainer only hands the reward the model's text plus whatever the dataset row carried; for code
efficiency that is the problem (its tests), the language, the objective and the code being improved.
The same label travels as verl's ``reward_model.ground_truth`` and as OpenRLHF's ``label``
(``--data.label_key``), as a JSON object or a JSON string of one:

    {"problem_id": "9001", "language": "python", "objective": "time",
     "baseline": "class Solution: ...", "dataset": "venus-mini"}

``problem_id`` and ``language`` are required; ``objective`` defaults to the reward's (``time``);
``baseline`` is absent or null for write-from-scratch prompts; ``dataset`` defaults to the reward's
(``venus-mini``). Unknown keys are refused, so a typo fails loudly instead of silently scoring
against the wrong objective.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from afterburner_core.errors import AfterburnerError
from afterburner_core.rewards.execution import RewardTask
from afterburner_core.validation import one_line

LABEL_FIELDS = ("problem_id", "language", "objective", "baseline", "dataset")


class RewardLabel(BaseModel):
    """See the module docstring."""

    model_config = ConfigDict(extra="forbid")

    problem_id: str = Field(..., min_length=1, description="problem id or title slug in `dataset`")
    language: str = Field(..., min_length=1, description="language key or alias (python3, c++, ...)")
    objective: Literal["time", "memory", "integral"] | None = Field(None, description="default: the reward's")
    baseline: str | None = Field(None, description="the code being improved; null: none")
    dataset: str | None = Field(None, description="default: the reward's (venus-mini)")

    @field_validator("problem_id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("baseline", mode="after")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value if value is not None and value.strip() else None

    def task(self, completion: Any) -> RewardTask:
        return RewardTask(
            completion=completion,
            problem_id=self.problem_id,
            language=self.language,
            objective=self.objective,
            baseline=self.baseline,
            dataset=self.dataset,
        )

    def to_json(self) -> str:
        """The label as a compact JSON string (what the data writers store)."""
        return self.model_dump_json(exclude_none=True)


def label_fields(value: Any, where: str = "label") -> dict[str, Any]:
    """The keys of a label given as a mapping or a JSON string of one, not yet validated (so that
    another source can still fill in missing keys); a one-line `AfterburnerError` otherwise."""
    if isinstance(value, RewardLabel):
        return value.model_dump(exclude_none=True)
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise AfterburnerError(
                f"{where} is not JSON ({error.msg} at character {error.pos}); expected an object "
                f"with {', '.join(LABEL_FIELDS)}"
            ) from None
    if not isinstance(value, Mapping):
        raise AfterburnerError(f"{where} must be an object with {', '.join(LABEL_FIELDS)}, not {type(value).__name__}")
    return {str(key): item for key, item in value.items()}


def parse_label(value: Any, where: str = "label") -> RewardLabel:
    """A validated `RewardLabel` from a mapping or a JSON string of one; a one-line `AfterburnerError` otherwise."""
    if isinstance(value, RewardLabel):
        return value
    try:
        return RewardLabel.model_validate(label_fields(value, where))
    except ValidationError as error:
        raise AfterburnerError(f"{where}: {one_line(error)}") from None
