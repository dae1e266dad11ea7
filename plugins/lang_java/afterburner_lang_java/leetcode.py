"""Java runners and starter code for LeetCode-typed problems (see afterburner_core.leetcode).

Layout (the convention AfterburnerHarness relies on): LeetCode's implicit imports, ``public class
Main`` whose ``main`` reads the test from ``System.in`` and prints to ``System.out`` inside the
call, ListNode/TreeNode as LeetCode defines them, and ``==Code Submission==`` last at top level,
so the submission's ``class Solution`` is another top-level class of Main.java. The JSON reader
and writer are static members of Main: one read/write method per type the signature uses
(``int[]`` grows a primitive buffer, ``List<Integer>`` an ArrayList), no reflection, no boxing
where LeetCode's type is primitive. A design class is built with ``new LRUCache(...)`` and its
calls dispatched with a ``switch`` on their names.
"""

from __future__ import annotations

import json
import re

from afterburner_core.leetcode.codegen import argument_names, per_type, read_arguments
from afterburner_core.leetcode.signature import AnySignature, DesignSignature, Param, Signature
from afterburner_core.leetcode.types import TypeRef
from afterburner_core.models import PLACEHOLDER

IMPORTS = """\
import java.util.*;
import java.util.function.*;
import java.util.stream.*;
import java.io.*;
import java.math.*;
"""

LIST_NODE = """\
class ListNode {
    int val;
    ListNode next;
    ListNode() {}
    ListNode(int val) { this.val = val; }
    ListNode(int val, ListNode next) { this.val = val; this.next = next; }
}
"""

TREE_NODE = """\
class TreeNode {
    int val;
    TreeNode left;
    TreeNode right;
    TreeNode() {}
    TreeNode(int val) { this.val = val; }
    TreeNode(int val, TreeNode left, TreeNode right) {
        this.val = val;
        this.left = left;
        this.right = right;
    }
}
"""

JSON_IO = r"""
    static final class AbReader {
        private final byte[] s;
        private int p;

        AbReader(byte[] s) { this.s = s; }

        IllegalArgumentException fail(String what) {
            return new IllegalArgumentException("afterburner runner: malformed test input: " + what + " at byte " + p);
        }

        void skip() {
            while (p < s.length && (s[p] == ' ' || s[p] == '\n' || s[p] == '\r' || s[p] == '\t')) p++;
        }

        boolean at(char c) {
            skip();
            return p < s.length && s[p] == c;
        }

        void expect(char c) {
            if (!at(c)) throw fail("expected '" + c + "'");
            p++;
        }

        boolean word(String w) {
            if (p + w.length() > s.length) return false;
            for (int i = 0; i < w.length(); i++) if (s[p + i] != w.charAt(i)) return false;
            p += w.length();
            return true;
        }

        boolean nullLiteral() { return at('n') && word("null"); }

        /** Opens an array: true when an element follows. */
        boolean open() {
            expect('[');
            if (!at(']')) return true;
            p++;
            return false;
        }

        /** After an element: true when another follows, false after the closing bracket. */
        boolean next() {
            if (at(',')) { p++; return true; }
            expect(']');
            return false;
        }

        long integer() {
            skip();
            boolean negative = p < s.length && s[p] == '-';
            if (negative) p++;
            int start = p;
            long x = 0;
            while (p < s.length && s[p] >= '0' && s[p] <= '9') x = x * 10 + (s[p++] - '0');
            if (p == start) throw fail("expected an integer");
            return negative ? -x : x;
        }

        double number() {
            skip();
            int start = p;
            while (p < s.length && (s[p] == '+' || s[p] == '-' || s[p] == '.' || s[p] == 'e' || s[p] == 'E'
                    || (s[p] >= '0' && s[p] <= '9'))) p++;
            if (p == start) throw fail("expected a number");
            return Double.parseDouble(new String(s, start, p - start, java.nio.charset.StandardCharsets.US_ASCII));
        }

        boolean bool() {
            skip();
            if (word("true")) return true;
            if (word("false")) return false;
            throw fail("expected true or false");
        }

        String str() {
            expect('"');
            int start = p;
            while (p < s.length && s[p] != '"' && s[p] != '\\') p++;
            if (p < s.length && s[p] == '"') {  // no escapes: decode the bytes in one go
                return new String(s, start, p++ - start, java.nio.charset.StandardCharsets.UTF_8);
            }
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            raw.write(s, start, p - start);
            StringBuilder b = new StringBuilder();
            while (true) {
                if (p >= s.length) throw fail("unterminated string");
                byte c = s[p++];
                if (c == '"') break;
                if (c != '\\') { raw.write(c); continue; }
                b.append(new String(raw.toByteArray(), java.nio.charset.StandardCharsets.UTF_8));
                raw.reset();
                byte e = s[p++];
                switch (e) {
                    case 'n': b.append('\n'); break;
                    case 't': b.append('\t'); break;
                    case 'r': b.append('\r'); break;
                    case 'b': b.append('\b'); break;
                    case 'f': b.append('\f'); break;
                    case 'u':
                        b.append((char) Integer.parseInt(new String(s, p, 4, java.nio.charset.StandardCharsets.US_ASCII), 16));
                        p += 4;
                        break;
                    default: b.append((char) e);
                }
            }
            return b.append(new String(raw.toByteArray(), java.nio.charset.StandardCharsets.UTF_8)).toString();
        }

        char character() {
            String v = str();
            if (v.length() != 1) throw fail("expected a one-character string");
            return v.charAt(0);
        }
    }

    static void writeString(StringBuilder w, String v) {
        if (v == null) { w.append("null"); return; }
        w.append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"': w.append("\\\""); break;
                case '\\': w.append("\\\\"); break;
                case '\n': w.append("\\n"); break;
                case '\t': w.append("\\t"); break;
                case '\r': w.append("\\r"); break;
                default:
                    if (c < 0x20) w.append(String.format("\\u%04x", (int) c));
                    else w.append(c);
            }
        }
        w.append('"');
    }
"""

LIST_FUNCTIONS = """\
    static ListNode read_listnode(AbReader in) {
        if (in.nullLiteral()) return null;
        ListNode dummy = new ListNode();
        ListNode tail = dummy;
        for (boolean more = in.open(); more; more = in.next()) {
            tail.next = new ListNode((int) in.integer());
            tail = tail.next;
        }
        return dummy.next;
    }

    static void write_listnode(StringBuilder w, ListNode head) {
        w.append('[');
        for (ListNode node = head; node != null; node = node.next) {
            if (node != head) w.append(',');
            w.append(node.val);
        }
        w.append(']');
    }
"""

TREE_FUNCTIONS = """\
    static TreeNode read_treenode(AbReader in) {
        if (in.nullLiteral()) return null;
        ArrayList<TreeNode> nodes = new ArrayList<>();
        for (boolean more = in.open(); more; more = in.next()) {
            nodes.add(in.nullLiteral() ? null : new TreeNode((int) in.integer()));
        }
        if (nodes.isEmpty() || nodes.get(0) == null) return null;
        int child = 1; // non-null nodes come in breadth-first order: each takes the next two slots
        for (int i = 0; i < nodes.size() && child < nodes.size(); i++) {
            TreeNode node = nodes.get(i);
            if (node == null) continue;
            node.left = nodes.get(child++);
            if (child < nodes.size()) node.right = nodes.get(child++);
        }
        return nodes.get(0);
    }

    static void write_treenode(StringBuilder w, TreeNode root) {
        ArrayList<TreeNode> queue = new ArrayList<>();
        if (root != null) queue.add(root);
        int used = 0; // trailing nulls are not printed
        for (int i = 0; i < queue.size(); i++) {
            TreeNode node = queue.get(i);
            if (node == null) continue;
            queue.add(node.left);
            queue.add(node.right);
            used = i + 1;
        }
        w.append('[');
        for (int i = 0; i < used; i++) {
            if (i > 0) w.append(',');
            TreeNode node = queue.get(i);
            if (node == null) w.append("null");
            else w.append(node.val);
        }
        w.append(']');
    }
"""

PRIMITIVE = {"integer": "int", "long": "long", "double": "double", "boolean": "boolean", "character": "char"}
BOXED = {"integer": "Integer", "long": "Long", "double": "Double", "boolean": "Boolean", "character": "Character"}
SCALAR_IO = {
    "integer": ("(int) in.integer()", "w.append(v)"),
    "long": ("in.integer()", "w.append(v)"),
    "double": ("in.number()", "w.append(v)"),
    "boolean": ("in.bool()", "w.append(v)"),
    "string": ("in.str()", "writeString(w, v)"),
    "character": ("in.character()", "writeString(w, String.valueOf(v))"),
}
DEFAULTS = {"integer": "0", "long": "0L", "double": "0.0", "boolean": "false", "character": "'a'"}


def native(type_: TypeRef, boxed: bool = False) -> str:
    if type_.is_void:
        return "void"
    if type_.container == "array":
        return f"{native(type_.element)}[]"
    if type_.container == "list":
        return f"List<{native(type_.element, boxed=True)}>"
    if type_.base in PRIMITIVE:
        return BOXED[type_.base] if boxed else PRIMITIVE[type_.base]
    return "String" if type_.base == "string" else type_.base


def _empty_array_of(element: TypeRef) -> str:
    """``new X[0]...`` for an array of `element`: generics erased, dimensions kept (``new int[0][]``)."""
    raw = re.sub(r"<.*>", "", native(element))
    base = raw.rstrip("[]")
    return f"new {base}[0]{raw[len(base) :]}"


def _scalar(type_: TypeRef) -> str:
    read, write = SCALAR_IO[type_.base]
    name, key = native(type_), type_.key
    return (
        f"    static {name} read_{key}(AbReader in) {{ return {read}; }}\n"
        f"    static void write_{key}(StringBuilder w, {name} v) {{ {write}; }}\n"
    )


def _array_reader(type_: TypeRef) -> list[str]:
    name, element = native(type_), type_.element
    if element.base in PRIMITIVE and element.is_scalar:
        primitive = PRIMITIVE[element.base]
        return [
            f"        {primitive}[] values = new {primitive}[16];",
            "        int n = 0;",
            "        for (boolean more = in.open(); more; more = in.next()) {",
            "            if (n == values.length) values = Arrays.copyOf(values, 2 * n);",
            f"            values[n++] = read_{element.key}(in);",
            "        }",
            "        return Arrays.copyOf(values, n);",
        ]
    cast = f"({name}) " if "<" in native(element) else ""
    return [
        f"        ArrayList<{native(element, boxed=True)}> values = new ArrayList<>();",
        f"        for (boolean more = in.open(); more; more = in.next()) values.add(read_{element.key}(in));",
        f"        return {cast}values.toArray({_empty_array_of(element)});",
    ]


def _container(type_: TypeRef) -> str:
    name, key, element = native(type_), type_.key, type_.element
    if type_.container == "array":
        body = _array_reader(type_)
        loop = [
            "        for (int i = 0; i < values.length; i++) {",
            "            if (i > 0) w.append(',');",
            f"            write_{element.key}(w, values[i]);",
            "        }",
        ]
    else:
        body = [
            f"        ArrayList<{native(element, boxed=True)}> values = new ArrayList<>();",
            f"        for (boolean more = in.open(); more; more = in.next()) values.add(read_{element.key}(in));",
            "        return values;",
        ]
        loop = [
            "        boolean first = true;",
            f"        for ({native(element, boxed=True)} value : values) {{",
            "            if (!first) w.append(',');",
            "            first = false;",
            f"            write_{element.key}(w, value);",
            "        }",
        ]
    suppress = '    @SuppressWarnings("unchecked")\n' if "<" in native(element) and type_.container == "array" else ""
    return "\n".join(
        [
            f"{suppress}    static {name} read_{key}(AbReader in) {{",
            *body,
            "    }",
            "",
            f"    static void write_{key}(StringBuilder w, {name} values) {{",
            '        if (values == null) { w.append("null"); return; }',
            "        w.append('[');",
            *loop,
            "        w.append(']');",
            "    }",
            "",
        ]
    )


def _structure(type_: TypeRef) -> str:
    return LIST_FUNCTIONS if type_.base == "ListNode" else TREE_FUNCTIONS


def _function_body(signature: Signature) -> list[str]:
    args = argument_names(signature.params)
    reads = [
        f"        var {name} = read_{param.type.key}(in);" for name, param in zip(args, signature.params, strict=True)
    ]
    call = f"new Solution().{signature.name}({', '.join(args)})"
    if signature.in_place_index is None:
        answer, printed = [f"        var answer = {call};"], "answer"
    else:
        answer, printed = [f"        {call};"], args[signature.in_place_index]
    return [
        *reads,
        *answer,
        "        StringBuilder out = new StringBuilder();",
        f"        write_{signature.result_type.key}(out, {printed});",
    ]


def _argument_list(params: tuple[Param, ...], prefix: str, indent: str) -> tuple[list[str], list[str]]:
    """Statements reading one JSON argument list into locals, and the locals' names."""
    return read_arguments(
        params, prefix, indent, open_list="in.open();", declare="var {name} = read_{key}(in);", next_item="in.next();"
    )


def _design_body(signature: DesignSignature) -> list[str]:
    reads, names = _argument_list(signature.constructor.params, "init", "        ")
    lines = [
        "        var calls = read_string_arr(in);",
        '        StringBuilder out = new StringBuilder("[null");',
        "        in.open();",
        *reads,
        f"        {signature.classname} object = new {signature.classname}({', '.join(names)});",
        "        for (int i = 1; i < calls.length; i++) {",
        "            in.next();",
        "            out.append(',');",
        "            switch (calls[i]) {",
    ]
    for method in signature.methods:
        reads, names = _argument_list(method.params, "arg", "                    ")
        call = f"object.{method.name}({', '.join(names)})"
        lines += [f"                case {json.dumps(method.name)}: {{", *reads]
        if method.returns.type.is_void:
            lines += [f"                    {call};", '                    out.append("null");']
        else:
            lines += [f"                    write_{method.returns.type.key}(out, {call});"]
        lines += ["                    break;", "                }"]
    lines += [
        '                default: throw in.fail("no method " + calls[i]);',
        "            }",
        "        }",
        "        in.next();",
        "        out.append(']');",
    ]
    return lines


def runner(signature: AnySignature) -> str:
    structures = signature.structures()
    body = _design_body(signature) if isinstance(signature, DesignSignature) else _function_body(signature)
    main = [
        "public class Main {",
        "    public static void main(String[] args) throws Exception {",
        "        AbReader in = new AbReader(System.in.readAllBytes());",
        *body,
        "        out.append('\\n');",
        "        System.out.print(out);",
        "        System.out.flush();",
        "    }",
        JSON_IO,
        per_type(signature, _scalar, _container, _structure),
        "}",
        "",
    ]
    definitions = [d for name, d in (("ListNode", LIST_NODE), ("TreeNode", TREE_NODE)) if name in structures]
    return "\n".join([IMPORTS, *main, *definitions, PLACEHOLDER]) + "\n"


def _default(type_: TypeRef) -> str:
    return DEFAULTS[type_.base] if type_.is_scalar and type_.base in DEFAULTS else "null"


def _member(returns: TypeRef | None, header: str, body: str) -> list[str]:
    inner = (
        f"        return {_default(returns)};" if body == "default" and returns and not returns.is_void else "        "
    )
    return [f"    {header} {{", inner, "    }"]


def _params(params: tuple[Param, ...]) -> str:
    return ", ".join(f"{native(p.type)} {p.name}" for p in params)


def starter(signature: AnySignature, body: str = "empty") -> str:
    if isinstance(signature, DesignSignature):
        name = signature.classname
        lines = [
            f"class {name} {{",
            "",
            *_member(None, f"public {name}({_params(signature.constructor.params)})", body),
        ]
        for method in signature.methods:
            header = f"public {native(method.returns.type)} {method.name}({_params(method.params)})"
            lines += ["    ", *_member(method.returns.type, header, body)]
        return "\n".join([*lines, "}"]) + "\n"
    returns = signature.returns.type
    header = f"public {native(returns)} {signature.name}({_params(signature.params)})"
    return "\n".join(["class Solution {", *_member(returns, header, body), "}"]) + "\n"
