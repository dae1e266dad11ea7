"""Rust runners and starter code for LeetCode-typed problems (see afterburner_core.leetcode).

LeetCode's Rust submission is ``impl Solution { pub fn two_sum(nums: Vec<i32>, target: i32) ->
Vec<i32> {...} }`` (snake_case names; the parameter a void function modifies is ``&mut``). The
runner declares ``struct Solution;``, glob-imports the common std modules (a submission's own
``use std::rc::Rc;`` then shadows the glob instead of clashing with it), defines ListNode
(``Option<Box<ListNode>>``) and TreeNode (``Option<Rc<RefCell<TreeNode>>>``) as LeetCode does,
then the submission, a type-directed JSON reader/writer with fully qualified paths, and ``main``.
``main`` ends with ``process::exit`` after flushing: dropping a 10^5-node Box list recurses once
per node and could overflow the stack, and the answer is already printed. A design class is
built with ``LRUCache::new(...)`` into a ``let mut`` (so ``&self`` and ``&mut self`` methods both
work) and its calls, snake_case, dispatched on their names.
"""

from __future__ import annotations

import json

from afterburner_core.leetcode.codegen import argument_names, per_type, read_arguments, snake_case
from afterburner_core.leetcode.signature import AnySignature, DesignSignature, Param, Signature
from afterburner_core.leetcode.types import TypeRef
from afterburner_core.models import PLACEHOLDER

PRELUDE = """\
#![allow(unused_imports, dead_code, unused_variables, unused_mut, non_snake_case)]
use std::cell::*;
use std::cmp::*;
use std::collections::*;
use std::rc::*;

struct Solution;
"""

LIST_NODE = """\
#[derive(PartialEq, Eq, Clone, Debug)]
pub struct ListNode {
    pub val: i32,
    pub next: Option<Box<ListNode>>,
}

impl ListNode {
    #[inline]
    fn new(val: i32) -> Self {
        ListNode { next: None, val }
    }
}
"""

TREE_NODE = """\
#[derive(Debug, PartialEq, Eq)]
pub struct TreeNode {
    pub val: i32,
    pub left: Option<std::rc::Rc<std::cell::RefCell<TreeNode>>>,
    pub right: Option<std::rc::Rc<std::cell::RefCell<TreeNode>>>,
}

impl TreeNode {
    #[inline]
    pub fn new(val: i32) -> Self {
        TreeNode { val, left: None, right: None }
    }
}
"""

JSON_IO = r"""
struct AbReader {
    data: Vec<u8>,
    pos: usize,
}

impl AbReader {
    fn fail(&self, what: &str) -> ! {
        eprintln!("afterburner runner: malformed test input: {} at byte {}", what, self.pos);
        std::process::exit(3)
    }

    fn skip(&mut self) {
        while self.pos < self.data.len() && matches!(self.data[self.pos], b' ' | b'\n' | b'\r' | b'\t') {
            self.pos += 1;
        }
    }

    fn at(&mut self, c: u8) -> bool {
        self.skip();
        self.pos < self.data.len() && self.data[self.pos] == c
    }

    fn expect(&mut self, c: u8) {
        if !self.at(c) {
            self.fail(&format!("expected '{}'", c as char));
        }
        self.pos += 1;
    }

    fn word(&mut self, w: &[u8]) -> bool {
        if self.data[self.pos..].starts_with(w) {
            self.pos += w.len();
            true
        } else {
            false
        }
    }

    fn null(&mut self) -> bool {
        self.at(b'n') && self.word(b"null")
    }

    /// Reads '[' and tells whether an element follows.
    fn open(&mut self) -> bool {
        self.expect(b'[');
        if self.at(b']') {
            self.pos += 1;
            false
        } else {
            true
        }
    }

    /// After an element: whether another follows (false after the closing ']').
    fn next(&mut self) -> bool {
        if self.at(b',') {
            self.pos += 1;
            true
        } else {
            self.expect(b']');
            false
        }
    }

    fn integer(&mut self) -> i64 {
        self.skip();
        let negative = self.pos < self.data.len() && self.data[self.pos] == b'-';
        if negative {
            self.pos += 1;
        }
        let start = self.pos;
        let mut x: u64 = 0;
        while self.pos < self.data.len() && self.data[self.pos].is_ascii_digit() {
            x = x.wrapping_mul(10).wrapping_add((self.data[self.pos] - b'0') as u64);
            self.pos += 1;
        }
        if self.pos == start {
            self.fail("expected an integer");
        }
        if negative { (x as i64).wrapping_neg() } else { x as i64 }
    }

    fn number(&mut self) -> f64 {
        self.skip();
        let start = self.pos;
        while self.pos < self.data.len() && b"+-0123456789.eE".contains(&self.data[self.pos]) {
            self.pos += 1;
        }
        match std::str::from_utf8(&self.data[start..self.pos]).ok().and_then(|t| t.parse::<f64>().ok()) {
            Some(value) => value,
            None => self.fail("expected a number"),
        }
    }

    fn boolean(&mut self) -> bool {
        self.skip();
        if self.word(b"true") {
            return true;
        }
        if !self.word(b"false") {
            self.fail("expected true or false");
        }
        false
    }

    fn hex4(&mut self) -> u32 {
        let digits = self.data.get(self.pos..self.pos + 4).and_then(|d| std::str::from_utf8(d).ok());
        match digits.and_then(|d| u32::from_str_radix(d, 16).ok()) {
            Some(value) => {
                self.pos += 4;
                value
            }
            None => self.fail("bad \\u escape"),
        }
    }

    fn string(&mut self) -> String {
        self.expect(b'"');
        let mut bytes: Vec<u8> = Vec::new();
        loop {
            if self.pos >= self.data.len() {
                self.fail("unterminated string");
            }
            let c = self.data[self.pos];
            self.pos += 1;
            if c == b'"' {
                break;
            }
            if c != b'\\' {
                bytes.push(c);
                continue;
            }
            let e = self.data[self.pos];
            self.pos += 1;
            match e {
                b'n' => bytes.push(b'\n'),
                b't' => bytes.push(b'\t'),
                b'r' => bytes.push(b'\r'),
                b'b' => bytes.push(8),
                b'f' => bytes.push(12),
                b'u' => {
                    let mut code = self.hex4();
                    if (0xD800..0xDC00).contains(&code) && self.word(b"\\u") {
                        code = 0x10000 + ((code - 0xD800) << 10) + (self.hex4() - 0xDC00);
                    }
                    let ch = char::from_u32(code).unwrap_or('\u{FFFD}');
                    let mut buffer = [0u8; 4];
                    bytes.extend_from_slice(ch.encode_utf8(&mut buffer).as_bytes());
                }
                other => bytes.push(other),
            }
        }
        match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => self.fail("string is not UTF-8"),
        }
    }

    fn character(&mut self) -> char {
        let text = self.string();
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => c,
            _ => self.fail("expected a one-character string"),
        }
    }
}

struct AbWriter {
    out: String,
}

impl AbWriter {
    fn display<T: std::fmt::Display>(&mut self, value: T) {
        std::fmt::Write::write_fmt(&mut self.out, format_args!("{}", value)).unwrap();
    }

    fn number(&mut self, value: f64) {
        std::fmt::Write::write_fmt(&mut self.out, format_args!("{:?}", value)).unwrap();
    }

    fn string(&mut self, text: &str) {
        self.out.push('"');
        for c in text.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\t' => self.out.push_str("\\t"),
                '\r' => self.out.push_str("\\r"),
                c if (c as u32) < 0x20 => {
                    std::fmt::Write::write_fmt(&mut self.out, format_args!("\\u{:04x}", c as u32)).unwrap()
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }
}
"""

LIST_FUNCTIONS = """\
fn ab_read_listnode(r: &mut AbReader) -> Option<Box<ListNode>> {
    if r.null() {
        return None;
    }
    let mut values: Vec<i32> = Vec::new();
    let mut more = r.open();
    while more {
        values.push(r.integer() as i32);
        more = r.next();
    }
    let mut head: Option<Box<ListNode>> = None;
    for &value in values.iter().rev() {
        let mut node = Box::new(ListNode::new(value));
        node.next = head;
        head = Some(node);
    }
    head
}

fn ab_write_listnode(w: &mut AbWriter, head: &Option<Box<ListNode>>) {
    w.out.push('[');
    let mut node = head;
    let mut first = true;
    while let Some(current) = node {
        if !first {
            w.out.push(',');
        }
        first = false;
        w.display(current.val);
        node = &current.next;
    }
    w.out.push(']');
}
"""

TREE_FUNCTIONS = """\
type AbTree = Option<std::rc::Rc<std::cell::RefCell<TreeNode>>>;

fn ab_read_treenode(r: &mut AbReader) -> AbTree {
    if r.null() {
        return None;
    }
    let mut nodes: Vec<AbTree> = Vec::new();
    let mut more = r.open();
    while more {
        if r.null() {
            nodes.push(None);
        } else {
            let value = r.integer() as i32;
            nodes.push(Some(std::rc::Rc::new(std::cell::RefCell::new(TreeNode::new(value)))));
        }
        more = r.next();
    }
    if nodes.is_empty() || nodes[0].is_none() {
        return None;
    }
    // non-null nodes come in breadth-first order: each takes the next two slots
    let mut child = 1;
    for i in 0..nodes.len() {
        if child >= nodes.len() {
            break;
        }
        if let Some(node) = nodes[i].clone() {
            node.borrow_mut().left = nodes[child].clone();
            child += 1;
            if child < nodes.len() {
                node.borrow_mut().right = nodes[child].clone();
                child += 1;
            }
        }
    }
    nodes[0].clone()
}

fn ab_write_treenode(w: &mut AbWriter, root: &AbTree) {
    let mut queue: Vec<AbTree> = Vec::new();
    if root.is_some() {
        queue.push(root.clone());
    }
    let mut used = 0; // trailing nulls are not printed
    let mut i = 0;
    while i < queue.len() {
        if let Some(node) = queue[i].clone() {
            let node = node.borrow();
            queue.push(node.left.clone());
            queue.push(node.right.clone());
            used = i + 1;
        }
        i += 1;
    }
    w.out.push('[');
    for (index, node) in queue.iter().take(used).enumerate() {
        if index > 0 {
            w.out.push(',');
        }
        match node {
            Some(node) => w.display(node.borrow().val),
            None => w.out.push_str("null"),
        }
    }
    w.out.push(']');
}
"""

NATIVE = {
    "integer": "i32",
    "long": "i64",
    "double": "f64",
    "boolean": "bool",
    "string": "String",
    "character": "char",
    "ListNode": "Option<Box<ListNode>>",
    "TreeNode": "Option<Rc<RefCell<TreeNode>>>",
}
SCALAR_IO = {
    "integer": ("r.integer() as i32", "w.display(*v)"),
    "long": ("r.integer()", "w.display(*v)"),
    "double": ("r.number()", "w.number(*v)"),
    "boolean": ("r.boolean()", "w.display(*v)"),
    "string": ("r.string()", "w.string(v)"),
    "character": ("r.character()", "w.string(&v.to_string())"),
}


def native(type_: TypeRef) -> str:
    """The type as LeetCode's Rust starter spells it (Rc and RefCell unqualified)."""
    if type_.is_container:
        return f"Vec<{native(type_.element)}>"
    return NATIVE[type_.base]


def _qualified(type_: TypeRef) -> str:
    """The same type with full paths, for runner code that must not depend on the submission's `use`s."""
    return native(type_).replace("Rc<RefCell<", "std::rc::Rc<std::cell::RefCell<")


def _scalar(type_: TypeRef) -> str:
    read, write = SCALAR_IO[type_.base]
    name, key = native(type_), type_.key
    return (
        f"fn ab_read_{key}(r: &mut AbReader) -> {name} {{\n    {read}\n}}\n\n"
        f"fn ab_write_{key}(w: &mut AbWriter, v: &{name}) {{\n    {write};\n}}\n"
    )


def _container(type_: TypeRef) -> str:
    name, key, element = _qualified(type_), type_.key, type_.element.key
    return (
        f"fn ab_read_{key}(r: &mut AbReader) -> {name} {{\n"
        "    let mut values = Vec::new();\n"
        "    let mut more = r.open();\n"
        "    while more {\n"
        f"        values.push(ab_read_{element}(r));\n"
        "        more = r.next();\n"
        "    }\n"
        "    values\n"
        "}\n\n"
        f"fn ab_write_{key}(w: &mut AbWriter, values: &{name}) {{\n"
        "    w.out.push('[');\n"
        "    for (i, value) in values.iter().enumerate() {\n"
        "        if i > 0 {\n"
        "            w.out.push(',');\n"
        "        }\n"
        f"        ab_write_{element}(w, value);\n"
        "    }\n"
        "    w.out.push(']');\n"
        "}\n"
    )


def _structure(type_: TypeRef) -> str:
    return LIST_FUNCTIONS if type_.base == "ListNode" else TREE_FUNCTIONS


def _function_body(signature: Signature) -> list[str]:
    args = argument_names(signature.params)
    in_place = signature.in_place_index
    reads = [
        f"    let {'mut ' if index == in_place else ''}{name} = ab_read_{param.type.key}(&mut r);"
        for index, (name, param) in enumerate(zip(args, signature.params, strict=True))
    ]
    passed = [f"&mut {name}" if index == in_place else name for index, name in enumerate(args)]
    call = f"Solution::{snake_case(signature.name)}({', '.join(passed)})"
    if in_place is None:
        answer, printed = [f"    let answer = {call};"], "answer"
    else:
        answer, printed = [f"    {call};"], args[in_place]
    return [*reads, *answer, f"    ab_write_{signature.result_type.key}(&mut w, &{printed});"]


def _argument_list(params: tuple[Param, ...], prefix: str, indent: str) -> tuple[list[str], list[str]]:
    """Statements reading one JSON argument list into locals, and the locals' names."""
    return read_arguments(
        params,
        prefix,
        indent,
        open_list="r.open();",
        declare="let {name} = ab_read_{key}(&mut r);",
        next_item="r.next();",
    )


def _design_body(signature: DesignSignature) -> list[str]:
    reads, names = _argument_list(signature.constructor.params, "init", "    ")
    lines = [
        "    let calls = ab_read_string_arr(&mut r);",
        "    r.open();",
        *reads,
        f"    let mut object = {signature.classname}::new({', '.join(names)});",
        '    w.out.push_str("[null");',
        "    for i in 1..calls.len() {",
        "        r.next();",
        "        w.out.push(',');",
        "        match calls[i].as_str() {",
    ]
    for method in signature.methods:
        reads, names = _argument_list(method.params, "arg", "                ")
        call = f"object.{snake_case(method.name)}({', '.join(names)})"
        lines += [f"            {json.dumps(method.name)} => {{", *reads]
        if method.returns.type.is_void:
            lines += [f"                {call};", '                w.out.push_str("null");']
        else:
            lines += [f"                ab_write_{method.returns.type.key}(&mut w, &{call});"]
        lines.append("            }")
    lines += [
        '            other => r.fail(&format!("no method {}", other)),',
        "        }",
        "    }",
        "    r.next();",
        "    w.out.push(']');",
    ]
    return lines


def runner(signature: AnySignature) -> str:
    structures = signature.structures()
    definitions = [d for name, d in (("ListNode", LIST_NODE), ("TreeNode", TREE_NODE)) if name in structures]
    body = _design_body(signature) if isinstance(signature, DesignSignature) else _function_body(signature)
    main = [
        "fn main() {",
        "    let mut data = Vec::new();",
        "    std::io::Read::read_to_end(&mut std::io::stdin(), &mut data).unwrap();",
        "    let mut r = AbReader { data, pos: 0 };",
        "    let mut w = AbWriter { out: String::new() };",
        *body,
        "    w.out.push('\\n');",
        "    let mut stdout = std::io::stdout();",
        "    std::io::Write::write_all(&mut stdout, w.out.as_bytes()).unwrap();",
        "    std::io::Write::flush(&mut stdout).unwrap();",
        "    std::process::exit(0);",
        "}",
    ]
    return (
        "\n".join(
            [PRELUDE, *definitions, PLACEHOLDER, JSON_IO, per_type(signature, _scalar, _container, _structure), *main]
        )
        + "\n"
    )


def _params(params: tuple[Param, ...], in_place: int | None = None) -> str:
    return ", ".join(
        f"{snake_case(p.name)}: {'&mut ' if i == in_place else ''}{native(p.type)}" for i, p in enumerate(params)
    )


def _design_starter(signature: DesignSignature, body: str) -> str:
    name = signature.classname
    lines = [
        f"struct {name} {{",
        "",
        "}",
        "",
        "",
        "/**",
        " * `&self` means the method takes an immutable reference.",
        " * If you need a mutable reference, change it to `&mut self` instead.",
        " */",
        f"impl {name} {{",
        "",
        f"    fn new({_params(signature.constructor.params)}) -> Self {{",
        "        Self {}" if body == "default" else "        ",
        "    }",
    ]
    for method in signature.methods:
        returns = method.returns.type
        result = "" if returns.is_void else f" -> {native(returns)}"
        params = "".join(f", {p}" for p in [_params(method.params)] if p)
        inner = "        Default::default()" if body == "default" and not returns.is_void else "        "
        lines += ["    ", f"    fn {snake_case(method.name)}(&self{params}){result} {{", inner, "    }"]
    uses = ["use std::rc::Rc;", "use std::cell::RefCell;", ""] if "TreeNode" in signature.structures() else []
    return "\n".join([*uses, *lines, "}"]) + "\n"


def starter(signature: AnySignature, body: str = "empty") -> str:
    if isinstance(signature, DesignSignature):
        return _design_starter(signature, body)
    returns = signature.returns.type
    params = _params(signature.params, signature.in_place_index)
    result = "" if returns.is_void else f" -> {native(returns)}"
    inner = "        Default::default()" if body == "default" and not returns.is_void else "        "
    uses = ["use std::rc::Rc;", "use std::cell::RefCell;", ""] if "TreeNode" in signature.structures() else []
    return (
        "\n".join(
            [
                *uses,
                "impl Solution {",
                f"    pub fn {snake_case(signature.name)}({params}){result} {{",
                inner,
                "    }",
                "}",
            ]
        )
        + "\n"
    )
