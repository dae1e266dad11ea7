"""Python runners and starter code for LeetCode-typed problems (see afterburner_core.leetcode).

The runner is module-level code, as the in-process harness expects: LeetCode's implicit imports,
the ListNode/TreeNode classes when the signature uses them (before the submission, whose
annotations name them), the submission, then one test read from stdin with `json`, a call to
``Solution().<name>(...)`` and the answer printed as compact JSON. A design class is constructed
from the first call (``LRUCache(2)``) and each further call dispatched on its name.
"""

from __future__ import annotations

from afterburner_core.leetcode.codegen import argument_names
from afterburner_core.leetcode.signature import AnySignature, DesignSignature, Param, Signature
from afterburner_core.leetcode.types import TypeRef
from afterburner_core.models import PLACEHOLDER

# What LeetCode's Python 3 environment has imported before a submission runs.
IMPLICIT_IMPORTS = """\
import sys
import json as _ab_json
from typing import *
import collections, heapq, bisect, math, itertools, functools, string, re, random, operator
from collections import *
from heapq import *
from bisect import *
from functools import *
from itertools import *
from math import *
try:
    from sortedcontainers import SortedList, SortedDict, SortedSet
except ImportError:  # LeetCode has it; a host without it just lacks these three names
    pass
"""

LIST_NODE = """\
class ListNode:
    def __init__(self, val=0, next=None):
        self.val = val
        self.next = next
"""

TREE_NODE = """\
class TreeNode:
    def __init__(self, val=0, left=None, right=None):
        self.val = val
        self.left = left
        self.right = right
"""

# Iterative on purpose: a 10^5-node list or a degenerate tree must not hit the recursion limit.
LIST_HELPERS = """\
def _ab_list_in(values):
    head = None
    for value in reversed(values):
        head = ListNode(value, head)
    return head


def _ab_list_out(head):
    values = []
    while head is not None:
        values.append(head.val)
        head = head.next
    return values
"""

TREE_HELPERS = """\
def _ab_tree_in(values):
    if not values or values[0] is None:
        return None
    root = TreeNode(values[0])
    parents = collections.deque([root])
    index = 1
    while index < len(values) and parents:
        parent = parents.popleft()
        if index < len(values) and values[index] is not None:
            parent.left = TreeNode(values[index])
            parents.append(parent.left)
        index += 1
        if index < len(values) and values[index] is not None:
            parent.right = TreeNode(values[index])
            parents.append(parent.right)
        index += 1
    return root


def _ab_tree_out(root):
    values, queue = [], collections.deque([root] if root is not None else [])
    while queue:
        node = queue.popleft()
        if node is None:
            values.append(None)
            continue
        values.append(node.val)
        queue.append(node.left)
        queue.append(node.right)
    while values and values[-1] is None:
        values.pop()
    return values
"""

HINTS = {"integer": "int", "long": "int", "double": "float", "boolean": "bool", "string": "str", "character": "str"}


def _converts(type_: TypeRef) -> bool:
    return type_.base in ("ListNode", "TreeNode", "double")


def _decode(type_: TypeRef, value: str, depth: int = 0) -> str:
    """An expression turning the parsed JSON `value` into the argument the solution expects."""
    if not _converts(type_):
        return value
    if type_.is_container:
        item = f"_ab_v{depth}"
        return f"[{_decode(type_.element, item, depth + 1)} for {item} in {value}]"
    if type_.base == "double":
        return f"float({value})"
    return f"_ab_list_in({value})" if type_.base == "ListNode" else f"_ab_tree_in({value})"


def _encode(type_: TypeRef, value: str, depth: int = 0) -> str:
    """An expression turning the solution's answer into plain JSON-ready Python values."""
    if type_.base not in ("ListNode", "TreeNode"):
        return value
    if type_.is_container:
        item = f"_ab_v{depth}"
        return f"[{_encode(type_.element, item, depth + 1)} for {item} in {value}]"
    return f"_ab_list_out({value})" if type_.base == "ListNode" else f"_ab_tree_out({value})"


def _preamble(signature: AnySignature) -> tuple[list[str], list[str]]:
    """(definitions before the submission, helpers after it) for the structures the signature uses."""
    definitions, helpers = [IMPLICIT_IMPORTS], []
    if "ListNode" in signature.structures():
        definitions.append(LIST_NODE)
        helpers.append(LIST_HELPERS)
    if "TreeNode" in signature.structures():
        definitions.append(TREE_NODE)
        helpers.append(TREE_HELPERS)
    return definitions, helpers


def _print(value: str) -> str:
    return f'sys.stdout.write(_ab_json.dumps({value}, separators=(",", ":"), ensure_ascii=False) + "\\n")'


READ_LINES = '_ab_lines = [line for line in sys.stdin.read().split("\\n") if line.strip()]'


def _decoded(params: tuple[Param, ...], source: str) -> list[str]:
    """Expressions of the arguments held in the JSON list `source`, decoded."""
    return [_decode(p.type, f"{source}[{index}]") for index, p in enumerate(params)]


def _function_main(signature: Signature) -> list[str]:
    args = argument_names(signature.params, "_ab_arg")
    reads = [
        f"{name} = {_decode(param.type, f'_ab_json.loads(_ab_lines[{index}])')}"
        for index, (name, param) in enumerate(zip(args, signature.params, strict=True))
    ]
    call = f"Solution().{signature.name}({', '.join(args)})"
    if signature.in_place_index is None:
        answer = ["_ab_answer = " + call]
    else:
        answer = [call, f"_ab_answer = {args[signature.in_place_index]}"]
    return [READ_LINES, *reads, *answer, _print(_encode(signature.result_type, "_ab_answer"))]


def _design_main(signature: DesignSignature) -> list[str]:
    lines = [
        READ_LINES,
        "_ab_calls = _ab_json.loads(_ab_lines[0])",
        "_ab_arguments = _ab_json.loads(_ab_lines[1])",
        f"_ab_object = {signature.classname}({', '.join(_decoded(signature.constructor.params, '_ab_arguments[0]'))})",
        "_ab_answers = [None]",
        "for _ab_name, _ab_args in zip(_ab_calls[1:], _ab_arguments[1:]):",
    ]
    for index, method in enumerate(signature.methods):
        call = f"_ab_object.{method.name}({', '.join(_decoded(method.params, '_ab_args'))})"
        lines.append(f'    {"if" if index == 0 else "elif"} _ab_name == "{method.name}":')
        if method.returns.type.is_void:
            lines += [f"        {call}", "        _ab_answers.append(None)"]
        else:
            lines.append(f"        _ab_answers.append({_encode(method.returns.type, call)})")
    lines += ["    else:", '        raise ValueError("no method " + repr(_ab_name))', _print("_ab_answers")]
    return lines


def runner(signature: AnySignature) -> str:
    definitions, helpers = _preamble(signature)
    main = _design_main(signature) if isinstance(signature, DesignSignature) else _function_main(signature)
    return "\n".join([*definitions, "", PLACEHOLDER, "", *helpers, "", *main]) + "\n"


def _hint(type_: TypeRef) -> str:
    if type_.is_void:
        return "None"
    if type_.is_container:
        return f"List[{_hint(type_.element)}]"
    if type_.is_structure:
        return f"Optional[{type_.base}]"
    return HINTS[type_.base]


def _method(name: str, params: tuple[Param, ...], returns: TypeRef | None, body: str) -> list[str]:
    hints = "".join(f", {p.name}: {_hint(p.type)}" for p in params)
    result = f" -> {_hint(returns)}" if returns is not None else ""
    if body != "default":
        inner = "        "
    elif returns is None or returns.is_void:
        inner = "        pass"
    else:
        inner = "        return None"
    return [f"    def {name}(self{hints}){result}:", inner]


def starter(signature: AnySignature, body: str = "empty") -> str:
    if isinstance(signature, DesignSignature):
        lines = [f"class {signature.classname}:", ""]
        lines += _method("__init__", signature.constructor.params, None, body)
        for method in signature.methods:
            lines += ["", *_method(method.name, method.params, method.returns.type, body)]
        return "\n".join(lines) + "\n"
    return (
        "\n".join(["class Solution:", *_method(signature.name, signature.params, signature.returns.type, body)]) + "\n"
    )
