"""C++ runners and starter code for LeetCode-typed problems (see afterburner_core.leetcode).

The runner starts as LeetCode's environment does (``#include <bits/stdc++.h>``, ``using namespace
std;``, ListNode/TreeNode with LeetCode's constructors), then the submission's ``class Solution``,
then a small type-directed JSON reader/writer in ``namespace ab_runner`` (one function per type
the signature uses) and ``main``: read the test, call ``Solution::<name>`` on lvalues (so
``vector<int>&`` parameters bind, and in-place changes are seen), print the answer as JSON. A
design class is built with ``new LRUCache(...)`` and its calls dispatched on their names. Only
C++17 is used.
"""

from __future__ import annotations

from afterburner_core.leetcode.codegen import argument_names, per_type, read_arguments
from afterburner_core.leetcode.signature import AnySignature, DesignSignature, Param, Signature
from afterburner_core.leetcode.types import TypeRef
from afterburner_core.models import PLACEHOLDER

PRELUDE = """\
#include <bits/stdc++.h>
using namespace std;
"""

LIST_NODE = """\
struct ListNode {
    int val;
    ListNode *next;
    ListNode() : val(0), next(nullptr) {}
    ListNode(int x) : val(x), next(nullptr) {}
    ListNode(int x, ListNode *next) : val(x), next(next) {}
};
"""

TREE_NODE = """\
struct TreeNode {
    int val;
    TreeNode *left;
    TreeNode *right;
    TreeNode() : val(0), left(nullptr), right(nullptr) {}
    TreeNode(int x) : val(x), left(nullptr), right(nullptr) {}
    TreeNode(int x, TreeNode *left, TreeNode *right) : val(x), left(left), right(right) {}
};
"""

JSON_IO = r"""
struct Reader {
    const char* begin;
    const char* p;
    const char* end;
    [[noreturn]] void fail(const char* what) {
        fprintf(stderr, "afterburner runner: malformed test input: %s at byte %ld\n", what, (long)(p - begin));
        exit(3);
    }
    void skip() {
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
    }
    bool at(char c) {
        skip();
        return p < end && *p == c;
    }
    void expect(char c) {
        if (!at(c)) fail("unexpected character");
        ++p;
    }
    bool word(const char* text, size_t n) {
        if ((size_t)(end - p) >= n && memcmp(p, text, n) == 0) { p += n; return true; }
        return false;
    }
    bool null_literal() { return at('n') && word("null", 4); }
    long long integer() {
        skip();
        bool negative = p < end && *p == '-';
        if (negative) ++p;
        if (p >= end || *p < '0' || *p > '9') fail("expected an integer");
        unsigned long long x = 0;
        while (p < end && *p >= '0' && *p <= '9') x = x * 10 + (unsigned long long)(*p++ - '0');
        return negative ? (long long)(0ULL - x) : (long long)x;
    }
    double number() {
        skip();
        char* stop = nullptr;
        double value = strtod(p, &stop);
        if (stop == p) fail("expected a number");
        p = stop;
        return value;
    }
    bool boolean() {
        skip();
        if (word("true", 4)) return true;
        if (word("false", 5)) return false;
        fail("expected true or false");
    }
    unsigned hex4() {
        if (end - p < 4) fail("short \\u escape");
        unsigned value = 0;
        for (int i = 0; i < 4; ++i) {
            char c = *p++;
            value = value * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
        }
        return value;
    }
    static void utf8(string& s, unsigned cp) {
        if (cp < 0x80) { s += (char)cp; return; }
        if (cp < 0x800) { s += (char)(0xC0 | (cp >> 6)); }
        else {
            if (cp < 0x10000) { s += (char)(0xE0 | (cp >> 12)); }
            else { s += (char)(0xF0 | (cp >> 18)); s += (char)(0x80 | ((cp >> 12) & 0x3F)); }
            s += (char)(0x80 | ((cp >> 6) & 0x3F));
        }
        s += (char)(0x80 | (cp & 0x3F));
    }
    string str() {
        expect('"');
        string s;
        while (p < end && *p != '"') {
            char c = *p++;
            if (c != '\\') { s += c; continue; }
            if (p >= end) fail("unterminated string");
            char e = *p++;
            switch (e) {
                case 'n': s += '\n'; break;
                case 't': s += '\t'; break;
                case 'r': s += '\r'; break;
                case 'b': s += '\b'; break;
                case 'f': s += '\f'; break;
                case 'u': {
                    unsigned cp = hex4();
                    if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                        p += 2;
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (hex4() - 0xDC00);
                    }
                    utf8(s, cp);
                    break;
                }
                default: s += e;
            }
        }
        expect('"');
        return s;
    }
    char character() {
        string s = str();
        if (s.size() != 1) fail("expected a one-character string");
        return s[0];
    }
    // open() reads '[' and tells whether an element follows; next(), after an element, whether
    // another follows (false once the closing ']' is read)
    bool open() {
        expect('[');
        if (!at(']')) return true;
        ++p;
        return false;
    }
    bool next() {
        if (at(',')) { ++p; return true; }
        expect(']');
        return false;
    }
};

struct Writer {
    string out;
    void integer(long long v) { out += to_string(v); }
    void number(double v) {
        char buffer[40];
        int n = snprintf(buffer, sizeof buffer, "%.15g", v);
        if (strtod(buffer, nullptr) != v) n = snprintf(buffer, sizeof buffer, "%.17g", v);
        out.append(buffer, (size_t)n);
    }
    void boolean(bool v) { out += v ? "true" : "false"; }
    void str(const string& s) {
        out += '"';
        for (unsigned char c : s) {
            switch (c) {
                case '"': out += "\\\""; break;
                case '\\': out += "\\\\"; break;
                case '\n': out += "\\n"; break;
                case '\t': out += "\\t"; break;
                case '\r': out += "\\r"; break;
                default:
                    if (c < 0x20) {
                        char buffer[8];
                        snprintf(buffer, sizeof buffer, "\\u%04x", c);
                        out += buffer;
                    } else {
                        out += (char)c;
                    }
            }
        }
        out += '"';
    }
    void character(char c) { str(string(1, c)); }
};
"""

LIST_FUNCTIONS = """\
ListNode* read_listnode(Reader& in) {
    if (in.null_literal()) return nullptr;
    vector<int> values;
    for (bool more = in.open(); more; more = in.next()) values.push_back((int)in.integer());
    ListNode* head = nullptr;
    for (size_t i = values.size(); i-- > 0;) head = new ListNode(values[i], head);
    return head;
}
void write_listnode(Writer& w, ListNode* head) {
    w.out += '[';
    for (ListNode* node = head; node != nullptr; node = node->next) {
        if (node != head) w.out += ',';
        w.integer(node->val);
    }
    w.out += ']';
}
"""

TREE_FUNCTIONS = """\
TreeNode* read_treenode(Reader& in) {
    if (in.null_literal()) return nullptr;
    vector<TreeNode*> nodes;
    for (bool more = in.open(); more; more = in.next())
        nodes.push_back(in.null_literal() ? nullptr : new TreeNode((int)in.integer()));
    if (nodes.empty() || nodes[0] == nullptr) return nullptr;
    size_t child = 1;  // non-null nodes appear in breadth-first order: each takes the next two slots
    for (size_t i = 0; i < nodes.size() && child < nodes.size(); ++i) {
        if (nodes[i] == nullptr) continue;
        nodes[i]->left = nodes[child++];
        if (child < nodes.size()) nodes[i]->right = nodes[child++];
    }
    return nodes[0];
}
void write_treenode(Writer& w, TreeNode* root) {
    vector<TreeNode*> queue;
    if (root != nullptr) queue.push_back(root);
    size_t used = 0;  // trailing nulls are not printed
    for (size_t i = 0; i < queue.size(); ++i) {
        if (queue[i] == nullptr) continue;
        queue.push_back(queue[i]->left);
        queue.push_back(queue[i]->right);
        used = i + 1;
    }
    w.out += '[';
    for (size_t i = 0; i < used; ++i) {
        if (i) w.out += ',';
        if (queue[i] != nullptr) w.integer(queue[i]->val);
        else w.out += "null";
    }
    w.out += ']';
}
"""

NATIVE = {
    "integer": "int",
    "long": "long long",
    "double": "double",
    "boolean": "bool",
    "string": "string",
    "character": "char",
    "ListNode": "ListNode*",
    "TreeNode": "TreeNode*",
}
SCALAR_IO = {
    "integer": ("(int)in.integer()", "w.integer(v)"),
    "long": ("in.integer()", "w.integer(v)"),
    "double": ("in.number()", "w.number(v)"),
    "boolean": ("in.boolean()", "w.boolean(v)"),
    "string": ("in.str()", "w.str(v)"),
    "character": ("in.character()", "w.character(v)"),
}


def native(type_: TypeRef) -> str:
    if type_.is_void:
        return "void"
    if type_.is_container:
        return f"vector<{native(type_.element)}>"
    return NATIVE[type_.base]


def _scalar(type_: TypeRef) -> str:
    read, write = SCALAR_IO[type_.base]
    name, key = native(type_), type_.key
    parameter = f"const {name}& v" if type_.base == "string" else f"{name} v"
    return (
        f"{name} read_{key}(Reader& in) {{ return {read}; }}\nvoid write_{key}(Writer& w, {parameter}) {{ {write}; }}\n"
    )


def _container(type_: TypeRef) -> str:
    name, key, element = native(type_), type_.key, type_.element.key
    return (
        f"{name} read_{key}(Reader& in) {{\n"
        f"    {name} values;\n"
        f"    for (bool more = in.open(); more; more = in.next()) values.push_back(read_{element}(in));\n"
        "    return values;\n"
        "}\n"
        f"void write_{key}(Writer& w, const {name}& values) {{\n"
        "    w.out += '[';\n"
        "    for (size_t i = 0; i < values.size(); ++i) {\n"
        "        if (i) w.out += ',';\n"
        f"        write_{element}(w, values[i]);\n"
        "    }\n"
        "    w.out += ']';\n"
        "}\n"
    )


def _structure(type_: TypeRef) -> str:
    return LIST_FUNCTIONS if type_.base == "ListNode" else TREE_FUNCTIONS


MAIN_START = [
    "int main() {",
    "    string ab_data;",
    "    {",
    "        static char chunk[1 << 16];",
    "        size_t n;",
    "        while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) ab_data.append(chunk, n);",
    "    }",
    "    ab_runner::Reader ab_in{ab_data.data(), ab_data.data(), ab_data.data() + ab_data.size()};",
    "    ab_runner::Writer ab_out;",
]
MAIN_END = [
    "    ab_out.out += '\\n';",
    "    fwrite(ab_out.out.data(), 1, ab_out.out.size(), stdout);",
    "    return 0;",
    "}",
]


def _function_main(signature: Signature) -> list[str]:
    args = argument_names(signature.params, "ab_arg")
    reads = [
        f"    auto {name} = ab_runner::read_{param.type.key}(ab_in);"
        for name, param in zip(args, signature.params, strict=True)
    ]
    call = f"ab_solution->{signature.name}({', '.join(args)})"
    if signature.in_place_index is None:
        answer, printed = [f"    auto ab_answer = {call};"], "ab_answer"
    else:
        answer, printed = [f"    {call};"], args[signature.in_place_index]
    return [
        *MAIN_START,
        *reads,
        "    Solution* ab_solution = new Solution();",
        *answer,
        f"    ab_runner::write_{signature.result_type.key}(ab_out, {printed});",
        *MAIN_END,
    ]


def _argument_list(params: tuple[Param, ...], indent: str) -> tuple[list[str], list[str]]:
    """Statements reading one JSON argument list into locals, and the locals' names."""
    return read_arguments(
        params,
        "ab_arg",
        indent,
        open_list="ab_in.open();",
        declare="auto {name} = ab_runner::read_{key}(ab_in);",
        next_item="ab_in.next();",
    )


def _design_main(signature: DesignSignature) -> list[str]:
    reads, names = _argument_list(signature.constructor.params, "    ")
    lines = [
        *MAIN_START,
        "    auto ab_calls = ab_runner::read_string_arr(ab_in);",
        "    ab_in.open();",
        *reads,
        f"    {signature.classname}* ab_object = new {signature.classname}({', '.join(names)});",
        '    ab_out.out += "[null";',
        "    for (size_t ab_i = 1; ab_i < ab_calls.size(); ++ab_i) {",
        "        ab_in.next();",
        "        ab_out.out += ',';",
        "        const string& ab_name = ab_calls[ab_i];",
    ]
    for index, method in enumerate(signature.methods):
        reads, names = _argument_list(method.params, "            ")
        call = f"ab_object->{method.name}({', '.join(names)})"
        lines += [f'        {"if" if index == 0 else "} else if"} (ab_name == "{method.name}") {{', *reads]
        if method.returns.type.is_void:
            lines += [f"            {call};", '            ab_out.out += "null";']
        else:
            lines += [f"            ab_runner::write_{method.returns.type.key}(ab_out, {call});"]
    lines += [
        "        } else {",
        '            ab_in.fail("no such method");',
        "        }",
        "    }",
        "    ab_in.next();",
        "    ab_out.out += ']';",
        *MAIN_END,
    ]
    return lines


def runner(signature: AnySignature) -> str:
    structures = signature.structures()
    definitions = [PRELUDE]
    if "ListNode" in structures:
        definitions.append(LIST_NODE)
    if "TreeNode" in structures:
        definitions.append(TREE_NODE)
    main = _design_main(signature) if isinstance(signature, DesignSignature) else _function_main(signature)
    helpers = per_type(signature, _scalar, _container, _structure)
    return (
        "\n".join(
            [
                *definitions,
                PLACEHOLDER,
                "",
                "namespace ab_runner {",
                JSON_IO,
                helpers,
                "}  // namespace ab_runner",
                "",
                *main,
            ]
        )
        + "\n"
    )


def _parameter(type_: TypeRef, name: str) -> str:
    # LeetCode's spelling: containers by reference, everything else by value
    return f"{native(type_)}& {name}" if type_.is_container else f"{native(type_)} {name}"


def _member(returns: TypeRef | None, header: str, body: str) -> list[str]:
    inner = "        return {};" if body == "default" and returns is not None and not returns.is_void else "        "
    return [f"    {header} {{", inner, "    }"]


def _params(params: tuple[Param, ...]) -> str:
    return ", ".join(_parameter(p.type, p.name) for p in params)


def starter(signature: AnySignature, body: str = "empty") -> str:
    if isinstance(signature, DesignSignature):
        lines = [
            f"class {signature.classname} {{",
            "public:",
            *_member(None, f"{signature.classname}({_params(signature.constructor.params)})", body),
        ]
        for method in signature.methods:
            header = f"{native(method.returns.type)} {method.name}({_params(method.params)})"
            lines += ["    ", *_member(method.returns.type, header, body)]
        return "\n".join([*lines, "};"]) + "\n"
    returns = signature.returns.type
    header = f"{native(returns)} {signature.name}({_params(signature.params)})"
    return "\n".join(["class Solution {", "public:", *_member(returns, header, body), "};"]) + "\n"
