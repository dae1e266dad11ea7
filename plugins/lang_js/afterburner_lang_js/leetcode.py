"""JavaScript runners and starter code for LeetCode-typed problems (see afterburner_core.leetcode).

LeetCode's JavaScript submission is a free function, ``var twoSum = function(nums, target) {...}``.
The runner defines ListNode/TreeNode as LeetCode's constructor functions when the signature uses
them, then the submission, then reads one test with ``require('fs').readFileSync(0, 'utf8')``
(which the in-process harness binds to the test), parses each line with JSON.parse, calls the
function and writes the answer with JSON.stringify. A design class (constructor function or
``class``) is built with ``new`` and its calls dispatched on their names.

Not provided: LeetCode's npm globals (``@datastructures-js/priority-queue``'s MinPriorityQueue /
MaxPriorityQueue, ``@datastructures-js/queue``, lodash). Their exact APIs changed between versions
and a look-alike would make a solution pass here that fails there (or the reverse), so a
submission that uses them fails with a ReferenceError instead.
"""

from __future__ import annotations

import json

from afterburner_core.leetcode.codegen import argument_names
from afterburner_core.leetcode.signature import AnySignature, DesignSignature, Param, Signature
from afterburner_core.leetcode.types import TypeRef
from afterburner_core.models import PLACEHOLDER

LIST_NODE = """\
function ListNode(val, next) {
    this.val = (val === undefined ? 0 : val);
    this.next = (next === undefined ? null : next);
}
"""

TREE_NODE = """\
function TreeNode(val, left, right) {
    this.val = (val === undefined ? 0 : val);
    this.left = (left === undefined ? null : left);
    this.right = (right === undefined ? null : right);
}
"""

# Iterative on purpose: long lists and degenerate trees must not exhaust Node's stack.
LIST_HELPERS = """\
function _abListIn(values) {
    let head = null;
    for (let i = values.length - 1; i >= 0; i--) head = new ListNode(values[i], head);
    return head;
}
function _abListOut(head) {
    const values = [];
    for (let node = head; node !== null && node !== undefined; node = node.next) values.push(node.val);
    return values;
}
"""

TREE_HELPERS = """\
function _abTreeIn(values) {
    if (!values || values.length === 0 || values[0] === null) return null;
    const root = new TreeNode(values[0]);
    const parents = [root];
    let head = 0;
    let index = 1;
    while (index < values.length && head < parents.length) {
        const parent = parents[head++];
        if (index < values.length && values[index] !== null) {
            parent.left = new TreeNode(values[index]);
            parents.push(parent.left);
        }
        index++;
        if (index < values.length && values[index] !== null) {
            parent.right = new TreeNode(values[index]);
            parents.push(parent.right);
        }
        index++;
    }
    return root;
}
function _abTreeOut(root) {
    const values = [];
    const queue = root ? [root] : [];
    for (let head = 0; head < queue.length; head++) {
        const node = queue[head];
        if (node === null || node === undefined) {
            values.push(null);
            continue;
        }
        values.push(node.val);
        queue.push(node.left === undefined ? null : node.left);
        queue.push(node.right === undefined ? null : node.right);
    }
    while (values.length > 0 && values[values.length - 1] === null) values.pop();
    return values;
}
"""

JSDOC = {
    "integer": "number",
    "long": "number",
    "double": "number",
    "boolean": "boolean",
    "string": "string",
    "character": "character",
}


def _convert(type_: TypeRef, value: str, functions: dict[str, str], depth: int = 0) -> str:
    """An expression applying the ListNode/TreeNode conversion `functions` inside `value`."""
    if type_.base not in functions:
        return value
    if type_.is_container:
        item = f"_abV{depth}"
        return f"{value}.map(({item}) => {_convert(type_.element, item, functions, depth + 1)})"
    return f"{functions[type_.base]}({value})"


DECODERS = {"ListNode": "_abListIn", "TreeNode": "_abTreeIn"}
ENCODERS = {"ListNode": "_abListOut", "TreeNode": "_abTreeOut"}
READ_LINES = "const _abLines = require('fs').readFileSync(0, 'utf8').split('\\n').filter((line) => line.trim() !== '');"


def _encoded(type_: TypeRef, value: str) -> str:
    """`value` as plain JSON-ready data; a null list of nodes prints as an empty array."""
    if type_.is_container and type_.element.base in ENCODERS:
        value = f"({value} === null || {value} === undefined ? [] : {value})"
    return _convert(type_, value, ENCODERS)


def _decoded(params: tuple[Param, ...], source: str) -> str:
    return ", ".join(_convert(p.type, f"{source}[{index}]", DECODERS) for index, p in enumerate(params))


def _function_main(signature: Signature) -> list[str]:
    args = argument_names(signature.params, "_abArg")
    reads = [
        f"const {name} = {_convert(param.type, f'JSON.parse(_abLines[{index}])', DECODERS)};"
        for index, (name, param) in enumerate(zip(args, signature.params, strict=True))
    ]
    call = f"{signature.name}({', '.join(args)})"
    if signature.in_place_index is None:
        answer = [f"const _abAnswer = {call};"]
    else:
        answer = [f"{call};", f"const _abAnswer = {args[signature.in_place_index]};"]
    return [
        READ_LINES,
        *reads,
        *answer,
        f"process.stdout.write(JSON.stringify({_encoded(signature.result_type, '_abAnswer')}) + '\\n');",
    ]


def _design_main(signature: DesignSignature) -> list[str]:
    lines = [
        READ_LINES,
        "const _abCalls = JSON.parse(_abLines[0]);",
        "const _abArguments = JSON.parse(_abLines[1]);",
        f"const _abObject = new {signature.classname}({_decoded(signature.constructor.params, '_abArguments[0]')});",
        "const _abAnswers = [null];",
        "for (let _abI = 1; _abI < _abCalls.length; _abI++) {",
        "    const _abArgs = _abArguments[_abI];",
        "    switch (_abCalls[_abI]) {",
    ]
    for method in signature.methods:
        call = f"_abObject.{method.name}({_decoded(method.params, '_abArgs')})"
        lines.append(f"        case {json.dumps(method.name)}:")
        if method.returns.type.is_void:
            lines += [f"            {call};", "            _abAnswers.push(null);"]
        else:
            lines += [f"            _abAnswers.push(_abDefined({_encoded(method.returns.type, call)}));"]
        lines.append("            break;")
    lines += [
        "        default:",
        "            throw new Error('no method ' + _abCalls[_abI]);",
        "    }",
        "}",
        "process.stdout.write(JSON.stringify(_abAnswers) + '\\n');",
    ]
    return lines


DEFINED = "function _abDefined(value) {\n    return value === undefined ? null : value;\n}\n"


def runner(signature: AnySignature) -> str:
    structures = signature.structures()
    parts = []
    if "ListNode" in structures:
        parts += [LIST_NODE, LIST_HELPERS]
    if "TreeNode" in structures:
        parts += [TREE_NODE, TREE_HELPERS]
    if isinstance(signature, DesignSignature):
        parts.append(DEFINED)
        main = _design_main(signature)
    else:
        main = _function_main(signature)
    return "\n".join([*parts, PLACEHOLDER, "", *main]) + "\n"


def _jsdoc(type_: TypeRef) -> str:
    if type_.is_void:
        return "void"
    if type_.is_container:
        return f"{_jsdoc(type_.element)}[]"
    return type_.base if type_.is_structure else JSDOC[type_.base]


def _doc(params: tuple[Param, ...], returns: TypeRef | None) -> list[str]:
    doc = ["/**", *(f" * @param {{{_jsdoc(p.type)}}} {p.name}" for p in params)]
    if returns is not None:
        doc.append(
            " * @return {void} Do not return anything, modify the argument in-place instead."
            if returns.is_void
            else f" * @return {{{_jsdoc(returns)}}}"
        )
    return [*doc, " */"]


def _body(returns: TypeRef | None, body: str) -> str:
    return "    return null;" if body == "default" and returns is not None and not returns.is_void else "    "


def starter(signature: AnySignature, body: str = "empty") -> str:
    if isinstance(signature, DesignSignature):
        name = signature.classname
        params = ", ".join(p.name for p in signature.constructor.params)
        lines = [
            *_doc(signature.constructor.params, None),
            f"var {name} = function({params}) {{",
            _body(None, body),
            "};",
        ]
        for method in signature.methods:
            params = ", ".join(p.name for p in method.params)
            lines += [
                "",
                *_doc(method.params, method.returns.type),
                f"{name}.prototype.{method.name} = function({params}) {{",
                _body(method.returns.type, body),
                "};",
            ]
        return "\n".join(lines) + "\n"
    params = ", ".join(p.name for p in signature.params)
    return (
        "\n".join(
            [
                *_doc(signature.params, signature.returns.type),
                f"var {signature.name} = function({params}) {{",
                _body(signature.returns.type, body),
                "};",
            ]
        )
        + "\n"
    )
