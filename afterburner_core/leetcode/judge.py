"""The evaluator of typed problems: compare answers as canonical JSON, not as text.

Runners in six languages print the same answer in slightly different spellings (``2`` vs ``2.0``
for a double, ``[1,null,2]`` vs ``[1,null,2,null,null]`` for a tree, spaces or none), and many
problems accept an answer in any order. Comparing parsed values, canonicalised by the signature's
result type, makes "accepted" mean the same thing in every language.
"""

from __future__ import annotations

import functools
import json
import math
from collections import deque
from collections.abc import Callable
from typing import Any

from afterburner_core.leetcode.signature import AnySignature, Comparison, DesignSignature, parse_signature
from afterburner_core.leetcode.types import TypeRef


class AnswerFormatError(ValueError):
    """A program's output is not a JSON value of the expected type."""


def canonical_value(value: Any, type_: TypeRef) -> Any:
    """`value` (parsed JSON) in the canonical form of `type_`; AnswerFormatError if it does not fit."""
    if type_.is_container:
        if value is None and type_.element.base in ("ListNode", "TreeNode"):
            return []
        if not isinstance(value, list):
            raise AnswerFormatError(f"expected a JSON array for {type_}, got {_short(value)}")
        return [canonical_value(item, type_.element) for item in value]
    base = type_.base
    if base == "TreeNode":
        return canonical_tree(value)
    if base == "ListNode":
        if value is None:
            return []
        if not isinstance(value, list) or not all(_is_int(v) for v in value):
            raise AnswerFormatError(f"expected a JSON array of integers for ListNode, got {_short(value)}")
        return value
    if base in ("integer", "long"):
        if not _is_int(value):
            raise AnswerFormatError(f"expected an integer, got {_short(value)}")
        return value
    if base == "double":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise AnswerFormatError(f"expected a number, got {_short(value)}")
        return float(value)
    if base == "boolean":
        if not isinstance(value, bool):
            raise AnswerFormatError(f"expected true or false, got {_short(value)}")
        return value
    if not isinstance(value, str) or (base == "character" and len(value) != 1):
        raise AnswerFormatError(f"expected a JSON string for {base}, got {_short(value)}")
    return value


def canonical_tree(level_order: Any) -> list[Any]:
    """A level-order tree encoding with its trailing nulls dropped (LeetCode's own spelling).

    The encoding is decoded and re-encoded, so two spellings of the same tree compare equal and a
    malformed one (a child under a null, values that are not integers) is an AnswerFormatError.
    """
    if level_order is None:
        return []
    if not isinstance(level_order, list) or not all(v is None or _is_int(v) for v in level_order):
        raise AnswerFormatError(f"expected a level-order array of integers and nulls, got {_short(level_order)}")
    root = tree_from_level_order(level_order)
    return level_order_of(root)


class _Node:
    __slots__ = ("left", "right", "val")

    def __init__(self, val: int) -> None:
        self.val, self.left, self.right = val, None, None


def tree_from_level_order(values: list[int | None]) -> _Node | None:
    """LeetCode's decoding: the first value is the root, then two child slots per non-null node."""
    if not values or values[0] is None:
        if any(v is not None for v in values):
            raise AnswerFormatError("a level-order tree with a null root has no other nodes")
        return None
    root = _Node(values[0])
    parents: deque[_Node] = deque([root])
    index = 1
    while index < len(values):
        if not parents:
            raise AnswerFormatError("level-order tree has values under null parents")
        parent = parents.popleft()
        for side in ("left", "right"):
            if index < len(values) and values[index] is not None:
                child = _Node(values[index])  # type: ignore[arg-type]
                setattr(parent, side, child)
                parents.append(child)
            index += 1
    return root


def level_order_of(root: _Node | None) -> list[int | None]:
    """LeetCode's encoding: breadth first, null for each missing child, trailing nulls dropped."""
    out: list[int | None] = []
    queue: deque[_Node | None] = deque([root] if root else [])
    while queue:
        node = queue.popleft()
        if node is None:
            out.append(None)
            continue
        out.append(node.val)
        queue.append(node.left)
        queue.append(node.right)
    while out and out[-1] is None:
        out.pop()
    return out


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _sort_key(value: Any) -> str:
    # Floats are rounded so that values equal within tolerance land in the same place.
    def rounded(item: Any) -> Any:
        if isinstance(item, float):
            return round(item, 6)
        if isinstance(item, list):
            return [rounded(v) for v in item]
        return item

    return json.dumps(rounded(value), sort_keys=True)


def _unordered(value: Any, depth: int | None) -> Any:
    """Lists sorted at the top `depth` levels (None: every level), innermost first."""
    if not isinstance(value, list) or depth == 0:
        return value
    inner = [_unordered(item, None if depth is None else depth - 1) for item in value]
    return sorted(inner, key=_sort_key)


def values_equal(expected: Any, actual: Any, tolerance: float) -> bool:
    if isinstance(expected, float) or isinstance(actual, float):
        if isinstance(expected, bool) or isinstance(actual, bool):
            return False
        if not isinstance(expected, (int, float)) or not isinstance(actual, (int, float)):
            return False
        return math.isclose(expected, actual, rel_tol=tolerance, abs_tol=tolerance)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            values_equal(e, a, tolerance) for e, a in zip(expected, actual, strict=True)
        )
    return type(expected) is type(actual) and expected == actual


def canonical_answer(text: str, type_: TypeRef, comparison: Comparison) -> Any:
    """Program output text → the canonical value compared (raises AnswerFormatError)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnswerFormatError(f"not one JSON value: {exc}") from None
    value = canonical_value(value, type_)
    if comparison.unordered != "none":
        value = _unordered(value, 1 if comparison.unordered == "outer" else None)
    return value


def answers_match(expected_output: str, program_output: str, type_: TypeRef, comparison: Comparison) -> bool:
    """True when the program's answer equals the expected one under the problem's comparison."""
    expected = canonical_answer(expected_output, type_, comparison)
    try:
        actual = canonical_answer(program_output, type_, comparison)
    except AnswerFormatError:
        return False
    return values_equal(expected, actual, comparison.float_tolerance)


def design_answers_match(expected_output: str, program_output: str, comparison: Comparison) -> bool:
    """A design problem's answer: one JSON value per call, compared value by value (no input here to
    say which method each came from, so doubles get the tolerance and everything else must be equal)."""
    expected = _json_array(expected_output, "expected output")
    try:
        actual = _json_array(program_output, "output")
    except AnswerFormatError:
        return False
    return values_equal(expected, actual, comparison.float_tolerance)


def _json_array(text: str, what: str) -> list:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnswerFormatError(f"{what} is not one JSON value: {exc}") from None
    if not isinstance(value, list):
        raise AnswerFormatError(f"{what} of a design problem must be a JSON array (one value per call)")
    return value


@functools.lru_cache(maxsize=256)
def _evaluator_for(metadata_json: str) -> Callable[[str, str], bool]:
    signature = parse_signature(metadata_json)
    if isinstance(signature, DesignSignature):
        return functools.partial(design_answers_match, comparison=signature.compare)
    return functools.partial(answers_match, type_=signature.result_type, comparison=signature.compare)


def evaluator_for(signature: AnySignature) -> Callable[[str, str], bool]:
    """``evaluate(expected_output, program_output) -> bool`` for a typed problem (cached)."""
    return _evaluator_for(signature.metadata_json())
