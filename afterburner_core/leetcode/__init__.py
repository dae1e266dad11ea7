"""LeetCode-typed problems: runners generated from a signature, in every language with a plugin.

A problem row may carry LeetCode's ``metaData`` (`Problem.metadata`): a function name, typed
parameters and a return type. From it, each language plugin generates a runner that reads one test
(one JSON value per parameter per line), calls the solution exactly as LeetCode does and prints the
answer as JSON; the evaluator compares canonical JSON. This package holds the language-free part:
the signature model (`signature`, `types`), the evaluator (`judge`), runner resolution
(`runners`), the directory importer (`importer`) and runner probes for validation (`probes`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from afterburner_core.errors import DatasetError
from afterburner_core.leetcode.judge import answers_match, evaluator_for
from afterburner_core.leetcode.runners import problem_signature, starter_code, typed_runner
from afterburner_core.leetcode.signature import (
    AnySignature,
    Comparison,
    DesignSignature,
    Signature,
    SignatureError,
    parse_signature,
)
from afterburner_core.leetcode.types import TypeRef, parse_type
from afterburner_core.models import Problem

if TYPE_CHECKING:  # `problems` dispatches typed problems here: a runtime import would be a cycle
    from afterburner_core.problems import Evaluator


def typed_evaluator(problem: Problem) -> Evaluator:
    """Canonical-JSON comparison by the problem's result type (see `judge`)."""
    signature = problem_signature(problem)
    if signature is None:
        raise DatasetError(f"problem {problem.problem_id} has no metadata to compare typed answers by")
    return evaluator_for(signature)


__all__ = [
    "AnySignature",
    "Comparison",
    "DesignSignature",
    "Signature",
    "SignatureError",
    "TypeRef",
    "answers_match",
    "evaluator_for",
    "parse_signature",
    "parse_type",
    "problem_signature",
    "starter_code",
    "typed_evaluator",
    "typed_runner",
]
