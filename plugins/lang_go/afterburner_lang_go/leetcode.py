"""Go runners and starter code for LeetCode-typed problems (see afterburner_core.leetcode).

LeetCode's Go submission is a plain function (``func twoSum(nums []int, target int) []int``) that
may use the common standard packages without importing them. The runner imports those packages
and keeps each one alive (``var _ = sort.Ints``) so that Go's "imported and not used" rule never
fires, defines ListNode/TreeNode as LeetCode does, then the submission, then a type-directed JSON
reader/writer (one function per type the signature uses) and ``main``. Written for Go 1.19: no
built-in min/max, no generics in the helpers, no ``slices`` package. A design class is built
with ``Constructor(...)`` and its calls dispatched to the exported methods (``obj.Get``).
"""

from __future__ import annotations

import json

from afterburner_core.leetcode.codegen import argument_names, exported_name, per_type, read_arguments
from afterburner_core.leetcode.signature import AnySignature, DesignSignature, Param, Signature
from afterburner_core.leetcode.types import TypeRef
from afterburner_core.models import PLACEHOLDER

# package path -> a use of it, so that an unused import is never an error
IMPLICIT_IMPORTS = {
    "bufio": "bufio.NewReader",
    "bytes": "bytes.Compare",
    "container/heap": "heap.Init",
    "container/list": "list.New",
    "fmt": "fmt.Sprint",
    "io": "io.ReadAll",
    "math": "math.Abs",
    "math/bits": "bits.OnesCount",
    "math/rand": "rand.Intn",
    "os": "os.Exit",
    "sort": "sort.Ints",
    "strconv": "strconv.Itoa",
    "strings": "strings.Join",
    "unicode": "unicode.IsDigit",
    "unicode/utf16": "utf16.DecodeRune",
    "unicode/utf8": "utf8.AppendRune",
}

LIST_NODE = """\
type ListNode struct {
	Val  int
	Next *ListNode
}
"""

TREE_NODE = """\
type TreeNode struct {
	Val   int
	Left  *TreeNode
	Right *TreeNode
}
"""

JSON_IO = """\
type abReader struct {
	data []byte
	pos  int
}

func (r *abReader) fail(what string) {
	fmt.Fprintf(os.Stderr, "afterburner runner: malformed test input: %s at byte %d\\n", what, r.pos)
	os.Exit(3)
}

func (r *abReader) skip() {
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		if c != ' ' && c != '\\n' && c != '\\r' && c != '\\t' {
			return
		}
		r.pos++
	}
}

func (r *abReader) at(c byte) bool {
	r.skip()
	return r.pos < len(r.data) && r.data[r.pos] == c
}

func (r *abReader) expect(c byte) {
	if !r.at(c) {
		r.fail("expected " + string(c))
	}
	r.pos++
}

func (r *abReader) word(w string) bool {
	if !bytes.HasPrefix(r.data[r.pos:], []byte(w)) {
		return false
	}
	r.pos += len(w)
	return true
}

func (r *abReader) null() bool { return r.at('n') && r.word("null") }

// open reads '[' and reports whether an element follows.
func (r *abReader) open() bool {
	r.expect('[')
	if r.at(']') {
		r.pos++
		return false
	}
	return true
}

// next, after an element, reports whether another follows (false after the closing ']').
func (r *abReader) next() bool {
	if r.at(',') {
		r.pos++
		return true
	}
	r.expect(']')
	return false
}

func (r *abReader) integer() int64 {
	r.skip()
	negative := r.pos < len(r.data) && r.data[r.pos] == '-'
	if negative {
		r.pos++
	}
	start := r.pos
	var x uint64
	for r.pos < len(r.data) && r.data[r.pos] >= '0' && r.data[r.pos] <= '9' {
		x = x*10 + uint64(r.data[r.pos]-'0')
		r.pos++
	}
	if r.pos == start {
		r.fail("expected an integer")
	}
	if negative {
		return -int64(x)
	}
	return int64(x)
}

func (r *abReader) number() float64 {
	r.skip()
	start := r.pos
	for r.pos < len(r.data) && strings.IndexByte("+-0123456789.eE", r.data[r.pos]) >= 0 {
		r.pos++
	}
	value, err := strconv.ParseFloat(string(r.data[start:r.pos]), 64)
	if err != nil {
		r.fail("expected a number")
	}
	return value
}

func (r *abReader) boolean() bool {
	r.skip()
	if r.word("true") {
		return true
	}
	if !r.word("false") {
		r.fail("expected true or false")
	}
	return false
}

func (r *abReader) hex4() rune {
	if r.pos+4 > len(r.data) {
		r.fail("short \\\\u escape")
	}
	value, err := strconv.ParseUint(string(r.data[r.pos:r.pos+4]), 16, 32)
	if err != nil {
		r.fail("bad \\\\u escape")
	}
	r.pos += 4
	return rune(value)
}

func (r *abReader) str() string {
	r.expect('"')
	var b []byte
	for {
		if r.pos >= len(r.data) {
			r.fail("unterminated string")
		}
		c := r.data[r.pos]
		r.pos++
		if c == '"' {
			return string(b)
		}
		if c != '\\\\' {
			b = append(b, c)
			continue
		}
		e := r.data[r.pos]
		r.pos++
		switch e {
		case 'n':
			b = append(b, '\\n')
		case 't':
			b = append(b, '\\t')
		case 'r':
			b = append(b, '\\r')
		case 'b':
			b = append(b, '\\b')
		case 'f':
			b = append(b, '\\f')
		case 'u':
			code := r.hex4()
			if utf16.IsSurrogate(code) && r.word("\\\\u") {
				code = utf16.DecodeRune(code, r.hex4())
			}
			b = utf8.AppendRune(b, code)
		default:
			b = append(b, e)
		}
	}
}

func (r *abReader) character() byte {
	s := r.str()
	if len(s) != 1 {
		r.fail("expected a one-character string")
	}
	return s[0]
}

type abWriter struct{ out []byte }

func (w *abWriter) str(s string) {
	w.out = append(w.out, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			w.out = append(w.out, '\\\\', '"')
		case c == '\\\\':
			w.out = append(w.out, '\\\\', '\\\\')
		case c == '\\n':
			w.out = append(w.out, '\\\\', 'n')
		case c == '\\t':
			w.out = append(w.out, '\\\\', 't')
		case c == '\\r':
			w.out = append(w.out, '\\\\', 'r')
		case c < 0x20:
			w.out = append(w.out, fmt.Sprintf("\\\\u%04x", c)...)
		default:
			w.out = append(w.out, c)
		}
	}
	w.out = append(w.out, '"')
}
"""

LIST_FUNCTIONS = """\
func abRead_listnode(r *abReader) *ListNode {
	if r.null() {
		return nil
	}
	dummy := &ListNode{}
	tail := dummy
	for more := r.open(); more; more = r.next() {
		tail.Next = &ListNode{Val: int(r.integer())}
		tail = tail.Next
	}
	return dummy.Next
}

func abWrite_listnode(w *abWriter, head *ListNode) {
	w.out = append(w.out, '[')
	for node := head; node != nil; node = node.Next {
		if node != head {
			w.out = append(w.out, ',')
		}
		w.out = strconv.AppendInt(w.out, int64(node.Val), 10)
	}
	w.out = append(w.out, ']')
}
"""

TREE_FUNCTIONS = """\
func abRead_treenode(r *abReader) *TreeNode {
	if r.null() {
		return nil
	}
	var nodes []*TreeNode
	for more := r.open(); more; more = r.next() {
		if r.null() {
			nodes = append(nodes, nil)
		} else {
			nodes = append(nodes, &TreeNode{Val: int(r.integer())})
		}
	}
	if len(nodes) == 0 || nodes[0] == nil {
		return nil
	}
	child := 1 // non-null nodes come in breadth-first order: each takes the next two slots
	for i := 0; i < len(nodes) && child < len(nodes); i++ {
		if nodes[i] == nil {
			continue
		}
		nodes[i].Left = nodes[child]
		child++
		if child < len(nodes) {
			nodes[i].Right = nodes[child]
			child++
		}
	}
	return nodes[0]
}

func abWrite_treenode(w *abWriter, root *TreeNode) {
	var queue []*TreeNode
	if root != nil {
		queue = append(queue, root)
	}
	used := 0 // trailing nulls are not printed
	for i := 0; i < len(queue); i++ {
		if queue[i] == nil {
			continue
		}
		queue = append(queue, queue[i].Left, queue[i].Right)
		used = i + 1
	}
	w.out = append(w.out, '[')
	for i := 0; i < used; i++ {
		if i > 0 {
			w.out = append(w.out, ',')
		}
		if queue[i] == nil {
			w.out = append(w.out, "null"...)
		} else {
			w.out = strconv.AppendInt(w.out, int64(queue[i].Val), 10)
		}
	}
	w.out = append(w.out, ']')
}
"""

NATIVE = {
    "integer": "int",
    "long": "int64",
    "double": "float64",
    "boolean": "bool",
    "string": "string",
    "character": "byte",
    "ListNode": "*ListNode",
    "TreeNode": "*TreeNode",
}
SCALAR_IO = {
    "integer": ("int(r.integer())", "w.out = strconv.AppendInt(w.out, int64(v), 10)"),
    "long": ("r.integer()", "w.out = strconv.AppendInt(w.out, v, 10)"),
    "double": ("r.number()", "w.out = strconv.AppendFloat(w.out, v, 'g', -1, 64)"),
    "boolean": ("r.boolean()", "w.out = strconv.AppendBool(w.out, v)"),
    "string": ("r.str()", "w.str(v)"),
    "character": ("r.character()", "w.str(string([]byte{v}))"),
}
DEFAULTS = {"integer": "0", "long": "0", "double": "0", "boolean": "false", "string": '""', "character": "'a'"}


def native(type_: TypeRef) -> str:
    if type_.is_container:
        return f"[]{native(type_.element)}"
    return NATIVE[type_.base]


def _scalar(type_: TypeRef) -> str:
    read, write = SCALAR_IO[type_.base]
    name, key = native(type_), type_.key
    return (
        f"func abRead_{key}(r *abReader) {name} {{ return {read} }}\n\n"
        f"func abWrite_{key}(w *abWriter, v {name}) {{ {write} }}\n"
    )


def _container(type_: TypeRef) -> str:
    name, key, element = native(type_), type_.key, type_.element.key
    return (
        f"func abRead_{key}(r *abReader) {name} {{\n"
        f"\tvalues := {name}{{}}\n"
        "\tfor more := r.open(); more; more = r.next() {\n"
        f"\t\tvalues = append(values, abRead_{element}(r))\n"
        "\t}\n"
        "\treturn values\n"
        "}\n\n"
        f"func abWrite_{key}(w *abWriter, values {name}) {{\n"
        "\tw.out = append(w.out, '[')\n"
        "\tfor i, value := range values {\n"
        "\t\tif i > 0 {\n"
        "\t\t\tw.out = append(w.out, ',')\n"
        "\t\t}\n"
        f"\t\tabWrite_{element}(w, value)\n"
        "\t}\n"
        "\tw.out = append(w.out, ']')\n"
        "}\n"
    )


def _structure(type_: TypeRef) -> str:
    return LIST_FUNCTIONS if type_.base == "ListNode" else TREE_FUNCTIONS


def _function_body(signature: Signature) -> list[str]:
    args = argument_names(signature.params)
    reads = [f"\t{name} := abRead_{param.type.key}(r)" for name, param in zip(args, signature.params, strict=True)]
    call = f"{signature.name}({', '.join(args)})"
    if signature.in_place_index is None:
        answer, printed = [f"\tanswer := {call}"], "answer"
    else:
        answer, printed = [f"\t{call}"], args[signature.in_place_index]
    return [*reads, *answer, f"\tabWrite_{signature.result_type.key}(w, {printed})"]


def _argument_list(params: tuple[Param, ...], prefix: str, indent: str) -> tuple[list[str], list[str]]:
    """Statements reading one JSON argument list into locals, and the locals' names."""
    return read_arguments(
        params, prefix, indent, open_list="r.open()", declare="{name} := abRead_{key}(r)", next_item="r.next()"
    )


def _design_body(signature: DesignSignature) -> list[str]:
    reads, names = _argument_list(signature.constructor.params, "init", "\t")
    lines = [
        "\tcalls := abRead_string_arr(r)",
        "\tr.open()",
        *reads,
        f"\tobject := Constructor({', '.join(names)})",
        '\tw.out = append(w.out, "[null"...)',
        "\tfor i := 1; i < len(calls); i++ {",
        "\t\tr.next()",
        "\t\tw.out = append(w.out, ',')",
        "\t\tswitch calls[i] {",
    ]
    for method in signature.methods:
        reads, names = _argument_list(method.params, "arg", "\t\t\t")
        call = f"object.{exported_name(method.name)}({', '.join(names)})"
        lines += [f"\t\tcase {json.dumps(method.name)}:", *reads]
        if method.returns.type.is_void:
            lines += [f"\t\t\t{call}", '\t\t\tw.out = append(w.out, "null"...)']
        else:
            lines += [f"\t\t\tabWrite_{method.returns.type.key}(w, {call})"]
    lines += [
        "\t\tdefault:",
        '\t\t\tr.fail("no method " + calls[i])',
        "\t\t}",
        "\t}",
        "\tr.next()",
        "\tw.out = append(w.out, ']')",
    ]
    return lines


def runner(signature: AnySignature) -> str:
    structures = signature.structures()
    imports = ["import (", *(f'\t"{path}"' for path in IMPLICIT_IMPORTS), ")", ""]
    keep_alive = [f"var _ = {use}" for use in IMPLICIT_IMPORTS.values()]
    definitions = [d for name, d in (("ListNode", LIST_NODE), ("TreeNode", TREE_NODE)) if name in structures]
    body = _design_body(signature) if isinstance(signature, DesignSignature) else _function_body(signature)
    main = [
        "func main() {",
        "\tdata, _ := io.ReadAll(os.Stdin)",
        "\tr := &abReader{data: data}",
        "\tw := &abWriter{}",
        *body,
        "\tw.out = append(w.out, '\\n')",
        "\tos.Stdout.Write(w.out)",
        "}",
    ]
    return (
        "\n".join(
            [
                "package main",
                "",
                *imports,
                *keep_alive,
                "",
                *definitions,
                PLACEHOLDER,
                "",
                JSON_IO,
                per_type(signature, _scalar, _container, _structure),
                *main,
            ]
        )
        + "\n"
    )


def _default(type_: TypeRef) -> str:
    return DEFAULTS[type_.base] if type_.is_scalar else "nil"


def _func(header: str, returns: TypeRef | None, default: str | None, body: str) -> list[str]:
    inner = f"\treturn {default}" if body == "default" and default is not None else "    "
    result = "" if returns is None or returns.is_void else f" {native(returns)}"
    return [f"func {header}{result} {{", inner, "}"]


def _params(params: tuple[Param, ...]) -> str:
    return ", ".join(f"{p.name} {native(p.type)}" for p in params)


def starter(signature: AnySignature, body: str = "empty") -> str:
    if isinstance(signature, DesignSignature):
        name = signature.classname
        lines = [
            f"type {name} struct {{",
            "    ",
            "}",
            "",
            "",
            *_func(f"Constructor({_params(signature.constructor.params)}) {name}", None, f"{name}{{}}", body),
        ]
        for method in signature.methods:
            returns = method.returns.type
            header = f"(this *{name}) {exported_name(method.name)}({_params(method.params)})"
            lines += ["", "", *_func(header, returns, None if returns.is_void else _default(returns), body)]
        return "\n".join(lines) + "\n"
    returns = signature.returns.type
    default = None if returns.is_void else _default(returns)
    return "\n".join(_func(f"{signature.name}({_params(signature.params)})", returns, default, body)) + "\n"
