"""LeetCode-typed problems: signatures, canonical JSON, generated runners in six languages, the
importer, Venus config rows and the bundled typed problems (issue 17). Real toolchains throughout."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from afterburner_core.datasets import load_problems
from afterburner_core.errors import DatasetError
from afterburner_core.leetcode import SignatureError, parse_signature, parse_type, starter_code
from afterburner_core.leetcode.codegen import snake_case
from afterburner_core.leetcode.judge import AnswerFormatError, answers_match, canonical_tree
from afterburner_core.leetcode.probes import malformed_tests
from afterburner_core.leetcode.types import TypeSyntaxError
from afterburner_core.models import PLACEHOLDER, Problem, ProblemRunRequest, TestCase, Verdict
from afterburner_core.plugins import get_manager
from afterburner_core.problems import evaluator_of, problem_tests, runner_source
from afterburner_core.sandbox.api import Sandbox, run_concurrently
from tests.helpers import LANGUAGES, require_language, run_cli

TYPED = [p for p in load_problems("venus-mini") if p.metadata]

# ---------------------------------------------------------------------------------------- types


@pytest.mark.parametrize(
    ("text", "base", "containers"),
    [
        ("integer", "integer", ()),
        ("long", "long", ()),
        ("double", "double", ()),
        ("boolean", "boolean", ()),
        ("string", "string", ()),
        ("String", "string", ()),
        ("character", "character", ()),
        ("char", "character", ()),
        ("integer[]", "integer", ("array",)),
        ("character[][]", "character", ("array", "array")),
        ("list<integer>", "integer", ("list",)),
        ("list<list<integer>>", "integer", ("list", "list")),
        ("list<integer[]>", "integer", ("list", "array")),
        ("list<String>", "string", ("list",)),
        ("ListNode", "ListNode", ()),
        ("TreeNode", "TreeNode", ()),
        ("ListNode[]", "ListNode", ("array",)),
        ("list<TreeNode>", "TreeNode", ("list",)),
        ("void", "void", ()),
    ],
)
def test_every_type_parses(text: str, base: str, containers: tuple) -> None:
    parsed = parse_type(text)
    assert (parsed.base, parsed.containers) == (base, containers)
    assert parse_type(str(parsed)) == parsed  # the canonical spelling parses back to the same type


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("map<integer,integer>", "not one of"),
        ("integer[][][]", "at most 2 levels"),
        ("list<ListNode[]>", "bare or in one"),
        ("void[]", "void cannot"),
        ("", "non-empty"),
    ],
)
def test_unsupported_types_say_why(text: str, message: str) -> None:
    with pytest.raises(TypeSyntaxError, match=re.escape(message)):
        parse_type(text)


TWO_SUM = {
    "name": "twoSum",
    "params": [{"name": "nums", "type": "integer[]"}, {"name": "target", "type": "integer"}],
    "return": {"type": "integer[]"},
}


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ("{not json", "not valid JSON"),
        ([1, 2], "must be a JSON object"),
        ({"name": "f", "params": []}, "return: Field required"),
        (
            {"name": "f", "params": [{"name": "x", "type": "set<integer>"}], "return": {"type": "integer"}},
            "params.0.type",
        ),
        ({"name": "f", "params": [{"name": "x", "type": "integer"}], "return": {"type": "void"}}, 'needs "output"'),
        (
            {
                "name": "f",
                "params": [{"name": "x", "type": "integer[]"}],
                "return": {"type": "void"},
                "output": {"paramindex": 1},
            },
            "out of range",
        ),
        (
            {
                "name": "f",
                "params": [{"name": "x", "type": "integer"}],
                "return": {"type": "void"},
                "output": {"paramindex": 0},
            },
            "scalar type",
        ),
        (
            {
                "name": "f",
                "params": [{"name": "x", "type": "integer"}, {"name": "x", "type": "long"}],
                "return": {"type": "long"},
            },
            "repeat",
        ),
        ({"name": "two sum", "params": [], "return": {"type": "integer"}}, "usable identifier"),
        ({"classname": "LRUCache", "systemdesign": True, "methods": []}, "at least one method"),
        (
            {"classname": "Cache", "methods": [{"name": "Cache", "params": [], "return": {"type": "integer"}}]},
            "named like the class",
        ),
        (
            {
                "classname": "Cache",
                "methods": [{"name": "get", "params": [{"name": "k", "type": "map"}], "return": {"type": "integer"}}],
            },
            "methods.0.params.0.type",
        ),
        ({**TWO_SUM, "compare": {"unordered": "sideways"}}, "compare.unordered"),
    ],
)
def test_bad_metadata_is_one_clear_error(metadata, message: str) -> None:
    with pytest.raises(SignatureError, match=re.escape(message)) as caught:
        parse_signature(metadata)
    assert "\n" not in str(caught.value)


def test_signature_accessors() -> None:
    signature = parse_signature(
        json.dumps(
            {
                "name": "rotate",
                "params": [{"name": "nums", "type": "list<list<integer>>"}, {"name": "head", "type": "ListNode"}],
                "return": {"type": "void"},
                "output": {"paramindex": 0},
            }
        )
    )
    assert signature.in_place_index == 0 and str(signature.result_type) == "list<list<integer>>"
    assert [str(t) for t in signature.types()] == ["integer", "list<integer>", "list<list<integer>>", "ListNode"]
    assert signature.structures() == {"ListNode"}
    assert parse_signature(signature.metadata_json()) == signature
    assert snake_case("twoSum") == "two_sum" and snake_case("getIPAddress") == "get_ip_address"


def test_problem_accepts_metadata_as_json_text_and_rejects_bad_json() -> None:
    problem = Problem.model_validate({"problem_id": 1, "title": "t", "metaData": json.dumps(TWO_SUM)})
    assert problem.metadata == TWO_SUM
    with pytest.raises(ValidationError, match="metadata is not valid JSON"):
        Problem.model_validate({"problem_id": 1, "title": "t", "metadata": "{oops"})


# ------------------------------------------------------------------------------------- judging


def _sig(result: str, **compare) -> tuple:
    signature = parse_signature({"name": "f", "params": [], "return": {"type": result}, "compare": compare})
    return signature.result_type, signature.compare


def test_canonical_comparison_is_order_insensitive_only_where_asked() -> None:
    exact = _sig("list<list<integer>>")
    outer = _sig("list<list<integer>>", unordered="outer")
    every = _sig("list<list<integer>>", unordered="all")
    assert answers_match("[[1,2],[3]]", "[[1, 2], [3]]\n", *exact)
    assert not answers_match("[[1,2],[3]]", "[[3],[1,2]]", *exact)
    assert answers_match("[[1,2],[3]]", "[[3],[1,2]]", *outer)
    assert not answers_match("[[1,2],[3]]", "[[3],[2,1]]", *outer)
    assert answers_match("[[1,2],[3]]", "[[3],[2,1]]", *every)
    assert not answers_match("[[1,2],[3]]", "[[3],[2,1],[4]]", *every)


def test_floats_compare_with_tolerance_and_type_checks() -> None:
    double = _sig("double")
    assert answers_match("12.75", "12.750000001", *double)
    assert answers_match("2.0", "2", *double)  # JavaScript and Rust print an integral double without ".0"
    assert not answers_match("12.75", "12.76", *double)
    assert answers_match("0.5", "0.5004", *_sig("double", float_tolerance=1e-3))
    assert not answers_match("1", "true", *_sig("integer"))  # a boolean is not a number
    assert not answers_match("1", "1.0", *_sig("integer"))
    assert not answers_match('"a"', '"ab"', *_sig("character"))
    assert not answers_match("[1]", "[1] trailing", *_sig("integer[]"))
    assert not answers_match("7", "", *_sig("integer"))


def test_list_and_tree_encodings_round_trip() -> None:
    assert canonical_tree([1, None, 2, None, None]) == [1, None, 2]
    assert canonical_tree([5, 4, 7, 3, None, 2, None, -1, None, 9]) == [5, 4, 7, 3, None, 2, None, -1, None, 9]
    assert canonical_tree(None) == [] and canonical_tree([]) == []
    tree = _sig("TreeNode")
    assert answers_match("[1,null,2]", "[1,null,2,null,null]", *tree)
    assert answers_match("[]", "null", *tree)
    assert not answers_match("[1,2]", "[1,null,2]", *tree)
    assert answers_match("[]", "null", *_sig("ListNode"))
    assert answers_match("[[1,2],[]]", "[[1,2],null]", *_sig("list<ListNode>"))
    with pytest.raises(AnswerFormatError, match="null root"):
        canonical_tree([None, 1])
    with pytest.raises(AnswerFormatError):
        canonical_tree([1, "x"])


def test_typed_problems_get_the_canonical_evaluator_unless_they_bring_one() -> None:
    problem = Problem(problem_id=1, title="t", metadata=TWO_SUM)
    assert evaluator_of(problem)("[0,1]", "[0, 1]\n")
    custom = problem.model_copy(update={"test_case_evaluator": "def evaluate(e, a):\n    return a == 'yes'\n"})
    assert not evaluator_of(custom)("[0,1]", "[0, 1]") and evaluator_of(custom)("x", "yes")


# ----------------------------------------------------------------------- generated runners, real

BLANK_BODY = re.compile(r"\n[ \t]+\n")


def _body(language: str, param: str) -> str:
    return {
        "python": f"        return {param}",
        "cpp": f"        return {param};",
        "java": f"        return {param};",
        "rust": f"        {snake_case(param)}",
        "go": f"\treturn {param}",
        "javascript": f"    return {param};",
    }[language]


def echo_solution(signature, language: str) -> str:
    """The plugin's own starter code with its empty body replaced by `return <first parameter>`."""
    starter = starter_code(signature, language)
    assert starter is not None
    body = _body(language, signature.params[0].name)
    if language == "python":  # the starter ends with the blank body line
        return starter.rstrip() + "\n" + body + "\n"
    solution, count = BLANK_BODY.subn("\n" + body + "\n", starter, count=1)
    assert count == 1, starter
    return solution


def typed_problem(params: list[tuple[str, str]], result: str, tests: list[tuple[list[str], str]], **extra) -> Problem:
    metadata = {
        "name": "echoFirst",
        "params": [{"name": n, "type": t} for n, t in params],
        "return": {"type": result},
        **extra,
    }
    return Problem(
        problem_id="typed-test",
        title="typed-test",
        metadata=metadata,
        test_cases=[TestCase(input="\n".join(values) + "\n", output=output) for values, output in tests],
    )


# One runner per language per type family: the first parameter is echoed back (printing), the
# others must parse (their values are chosen to trip a careless reader).
FAMILIES = {
    "scalars": typed_problem(
        [("s", "string"), ("i", "integer"), ("l", "long"), ("d", "double"), ("b", "boolean"), ("c", "character")],
        "string",
        [
            (
                ['"a\\"b\\\\c\\n\\t/"', "-2147483648", "-9007199254740991", "-1e-7", "true", '"\\""'],
                '"a\\"b\\\\c\\n\\t/"',
            ),
            (
                ['"\\u00e9t\\u00e9 \\ud83d\\ude00"', "2147483647", "9007199254740991", "1E300", "false", '"z"'],
                '"\u00e9t\u00e9 \U0001f600"',
            ),
            (['""', "0", "0", "3", "false", '" "'], '""'),
        ],
    ),
    "arrays": typed_problem(
        [
            ("nums", "integer[]"),
            ("big", "long[]"),
            ("xs", "double[]"),
            ("flags", "boolean[]"),
            ("words", "string[]"),
            ("letters", "character[]"),
        ],
        "integer[]",
        [
            (
                ["[1,-2,3]", "[9007199254740991,-1]", "[0.5,-2.25]", "[true,false]", '["x","","y z"]', '["a","b"]'],
                "[1,-2,3]",
            ),
            (["[]", "[]", "[]", "[]", "[]", "[]"], "[]"),
        ],
    ),
    "grids": typed_problem(
        [("grid", "character[][]"), ("matrix", "integer[][]"), ("rows", "string[][]")],
        "character[][]",
        [
            (['[["1","0"],["0","1"]]', "[[1,2],[],[3]]", '[["a"],[]]'], '[["1","0"],["0","1"]]'),
            (["[]", "[]", "[]"], "[]"),
        ],
    ),
    "lists": typed_problem(
        [
            ("groups", "list<list<integer>>"),
            ("ids", "list<integer>"),
            ("names", "list<string>"),
            ("weights", "list<double>"),
            ("seen", "list<boolean>"),
            ("pairs", "list<integer[]>"),
        ],
        "list<list<integer>>",
        [
            (["[[1],[2,3],[]]", "[4,5]", '["a","b"]', "[1.5]", "[false]", "[[1,2]]"], "[[1],[2,3],[]]"),
            (["[]", "[]", "[]", "[]", "[]", "[]"], "[]"),
        ],
    ),
    "ListNode": typed_problem(
        [("head", "ListNode"), ("lists", "ListNode[]")],
        "ListNode",
        [
            (["[1,2,3]", "[[1,2],[],[3]]"], "[1,2,3]"),
            (["[]", "[]"], "[]"),
        ],
    ),
    "TreeNode": typed_problem(
        [("root", "TreeNode"), ("forest", "list<TreeNode>")],
        "TreeNode",
        [
            (["[5,4,7,3,null,2,null,-1,null,9]", "[[1,2,3],[],[4,null,5]]"], "[5,4,7,3,null,2,null,-1,null,9]"),
            (["[1,null,2,3]", "[]"], "[1,null,2,3]"),
            (["[]", "[[]]"], "[]"),
        ],
    ),
}


def _run_all(problems_and_codes: list[tuple[Problem, str, str]]):
    requests = [ProblemRunRequest(problem=p, code=code, language=language) for p, code, language in problems_and_codes]
    return run_concurrently(Sandbox(), requests)


@pytest.mark.parametrize("language", LANGUAGES)
def test_one_runner_per_type_family(language: str) -> None:
    require_language(language)
    jobs = []
    for problem in FAMILIES.values():
        signature = parse_signature(problem.metadata)
        jobs.append((problem, echo_solution(signature, language), language))
    for family, report in zip(FAMILIES, _run_all(jobs), strict=True):
        assert report.verdict == Verdict.accepted, (
            family,
            report.compile.stderr[-2000:],
            report.stderr[-1000:],
            report.failing_test,
        )
        assert report.tests_passed == report.tests_total == len(FAMILIES[family].test_cases)


# Every type printed by every language (one runner per type).
ECHO_VALUES = {
    "integer": ["0", "-2147483648", "2147483647"],
    "long": ["-9007199254740991", "4294967296"],
    "double": ["0.1", "-1e-7", "2", "1e300"],
    "boolean": ["true", "false"],
    "string": ['""', '"a\\"b\\\\c\\n"', '"\\u00e9 \\ud83d\\ude00"'],
    "character": ['"a"', '"\\""'],
    "integer[]": ["[]", "[1,-2,3]"],
    "long[]": ["[4294967296,-1]"],
    "double[]": ["[0.5,-2.25]"],
    "boolean[]": ["[true,false,true]"],
    "string[]": ['["x","","y z"]'],
    "character[]": ['["a","b"]'],
    "integer[][]": ["[[1,2],[],[3]]", "[]"],
    "character[][]": ['[["1","0"],["0","1"]]'],
    "list<integer>": ["[4,5]"],
    "list<long>": ["[-4294967296]"],
    "list<double>": ["[1.5]"],
    "list<boolean>": ["[false]"],
    "list<string>": ['["a","b"]'],
    "list<character>": ['["q"]'],
    "list<list<integer>>": ["[[1],[2,3],[]]"],
    "list<list<string>>": ['[["a"],[]]'],
    "list<integer[]>": ["[[1,2]]"],
    "ListNode": ["[]", "[1,2,3]"],
    "TreeNode": ["[]", "[1,null,2,3]"],
    "ListNode[]": ["[[1,2],[],[3]]"],
    "list<TreeNode>": ["[[1,2,3],[],[4,null,5]]"],
}


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_type_round_trips(language: str) -> None:
    require_language(language)
    jobs = []
    for text, values in ECHO_VALUES.items():
        problem = typed_problem([("value", text)], text, [([v], v) for v in values])
        jobs.append((problem, echo_solution(parse_signature(problem.metadata), language), language))
    failures = [
        (text, r.verdict.value, r.compile.stderr[-500:], r.failing_test)
        for text, r in zip(ECHO_VALUES, _run_all(jobs), strict=True)
        if r.verdict != Verdict.accepted
    ]
    assert failures == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_full_64_bit_longs_where_the_language_has_them(engine, language: str) -> None:
    require_language(language)
    problem = typed_problem(
        [("value", "long[]")],
        "long[]",
        [(["[-9223372036854775808,9223372036854775807]"], "[-9223372036854775808,9223372036854775807]")],
    )
    report = engine.run_problem(
        ProblemRunRequest(
            problem=problem, language=language, code=echo_solution(parse_signature(problem.metadata), language)
        )
    )
    # JavaScript numbers are doubles, on LeetCode too: 2^63 - 1 does not survive JSON.parse
    expected = Verdict.wrong_answer if language == "javascript" else Verdict.accepted
    assert report.verdict == expected, (report.compile.stderr, report.stderr, report.failing_test)


IN_PLACE = {  # reverse `nums` in place; the runner prints nums after the call
    "python": "class Solution:\n    def reverseIt(self, nums: List[int], times: int) -> None:\n        nums.reverse()\n",
    "cpp": "class Solution {\npublic:\n    void reverseIt(vector<int>& nums, int times) { reverse(nums.begin(), nums.end()); }\n};\n",
    "rust": "impl Solution {\n    pub fn reverse_it(nums: &mut Vec<i32>, times: i32) { nums.reverse(); }\n}\n",
    "go": "func reverseIt(nums []int, times int) {\n\tfor i, j := 0, len(nums)-1; i < j; i, j = i+1, j-1 {\n"
    "\t\tnums[i], nums[j] = nums[j], nums[i]\n\t}\n}\n",
    "java": "class Solution {\n    public void reverseIt(int[] nums, int times) {\n"
    "        for (int i = 0, j = nums.length - 1; i < j; i++, j--) { int t = nums[i]; nums[i] = nums[j]; nums[j] = t; }\n"
    "    }\n}\n",
    "javascript": "var reverseIt = function(nums, times) {\n    nums.reverse();\n};\n",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_void_function_prints_the_modified_parameter(engine, language: str) -> None:
    require_language(language)
    metadata = {
        "name": "reverseIt",
        "params": [{"name": "nums", "type": "integer[]"}, {"name": "times", "type": "integer"}],
        "return": {"type": "void"},
        "output": {"paramindex": 0},
    }
    assert_accepted(engine, metadata, [("[1,2,3]\n1\n", "[3,2,1]"), ("[]\n0\n", "[]")], IN_PLACE[language], language)


def assert_accepted(engine, metadata: dict, tests: list[tuple[str, str]], code: str, language: str) -> None:
    problem = Problem(
        problem_id=metadata.get("name", "typed"),
        title="typed",
        metadata=metadata,
        test_cases=[TestCase(input=i, output=o) for i, o in tests],
    )
    report = engine.run_problem(ProblemRunRequest(problem=problem, code=code, language=language))
    assert report.verdict == Verdict.accepted, (report.compile.stderr[-3000:], report.stderr, report.failing_test)


IMPLICIT = {  # names LeetCode provides without an import, used without one
    "python": "class Solution:\n    def total(self, nums: List[int]) -> int:\n"
    "        heap = list(nums)\n        heapify(heap)\n        smallest = heappop(heap) if heap else 0\n"
    "        unused = Counter(nums)[0] + bisect_left(sorted(nums), inf) + gcd(4, 6) + isqrt(4) + smallest\n"
    "        return len(nums) + 0 * (unused + reduce(lambda a, b: a + b, accumulate([0])) + len(deque()))\n",
    "cpp": "class Solution {\npublic:\n    int total(vector<int>& nums) {\n        unordered_map<int, int> counts;\n"
    "        priority_queue<int> heap(nums.begin(), nums.end());\n        for (int x : nums) counts[x]++;\n"
    "        return (int)nums.size() + (int)counts.size() * 0 + (heap.empty() ? 0 : heap.top() * 0)"
    " + accumulate(nums.begin(), nums.end(), 0) * 0;\n    }\n};\n",
    "rust": "impl Solution {\n    pub fn total(nums: Vec<i32>) -> i32 {\n        let mut counts: HashMap<i32, i32> = HashMap::new();\n"
    "        let mut heap = BinaryHeap::new();\n        let mut seen = HashSet::new();\n        let queue: VecDeque<i32> = VecDeque::new();\n"
    "        for &x in &nums { *counts.entry(x).or_insert(0) += 1; heap.push(Reverse(x)); seen.insert(x); }\n"
    "        let cell = Rc::new(RefCell::new(0));\n        *cell.borrow_mut() += queue.len() as i32;\n"
    "        let extra = *cell.borrow();\n"
    "        max(nums.len() as i32, min(0, extra)) + (counts.len() as i32) * 0\n    }\n}\n",
    "go": "func total(nums []int) int {\n\tsorted := append([]int(nil), nums...)\n\tsort.Ints(sorted)\n"
    '\th := &intHeap{}\n\theap.Init(h)\n\t_ = strings.Repeat("x", 1)\n\t_ = math.MaxInt32\n'
    "\t_ = strconv.Itoa(1)\n\treturn len(sorted) + bits.OnesCount(0) + int(math.Abs(0))\n}\n\n"
    "type intHeap []int\n\nfunc (h intHeap) Len() int            { return len(h) }\n"
    "func (h intHeap) Less(i, j int) bool  { return h[i] < h[j] }\nfunc (h intHeap) Swap(i, j int)       { h[i], h[j] = h[j], h[i] }\n"
    "func (h *intHeap) Push(x interface{}) { *h = append(*h, x.(int)) }\n"
    "func (h *intHeap) Pop() interface{}   { old := *h; x := old[len(old)-1]; *h = old[:len(old)-1]; return x }\n",
    "java": "class Solution {\n    public int total(int[] nums) {\n        Map<Integer, Integer> counts = new HashMap<>();\n"
    "        PriorityQueue<Integer> heap = new PriorityQueue<>();\n        for (int x : nums) { counts.merge(x, 1, Integer::sum); heap.add(x); }\n"
    "        List<Integer> all = Arrays.stream(nums).boxed().collect(Collectors.toList());\n"
    "        Function<Integer, Integer> same = x -> x;\n"
    "        return same.apply(all.size()) + BigInteger.ZERO.intValue() + counts.size() * 0;\n    }\n}\n",
    "javascript": "var total = function(nums) {\n    return nums.length;\n};\n",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_leetcode_implicit_environment(engine, language: str) -> None:
    require_language(language)
    metadata = {"name": "total", "params": [{"name": "nums", "type": "integer[]"}], "return": {"type": "integer"}}
    assert_accepted(engine, metadata, [("[3,1,2]\n", "3"), ("[]\n", "0")], IMPLICIT[language], language)


def test_hand_written_runners_win_and_generated_ones_fill_the_rest() -> None:
    hand = "import sys\n" + PLACEHOLDER + "\nprint('hand-written')\n"
    problem = Problem(problem_id=1, title="t", metadata=TWO_SUM, test_case_runners={"python3": hand})
    python, cpp_info = get_manager().resolve_language("python"), get_manager().resolve_language("cpp")
    assert "hand-written" in runner_source(problem, python, "pass")  # filed under the alias python3
    cpp = runner_source(problem, cpp_info, "class Solution {};")
    assert "class Solution {};" in cpp and "ab_runner" in cpp and PLACEHOLDER not in cpp
    with pytest.raises(DatasetError, match="no cpp runner"):
        runner_source(problem.model_copy(update={"metadata": None}), cpp_info, "x")


def test_a_plugin_without_a_generator_is_a_clear_error(monkeypatch) -> None:
    from afterburner_core.leetcode import runners

    plugin = get_manager().resolve_language("python").plugin
    runners._runner.cache_clear()
    monkeypatch.setattr(plugin, "leetcode_runner", lambda signature: None)
    try:
        with pytest.raises(DatasetError, match="cannot generate runners"):
            runner_source(
                Problem(problem_id=1, title="t", metadata=TWO_SUM), get_manager().resolve_language("python"), "pass"
            )
    finally:
        runners._runner.cache_clear()


# -------------------------------------------------------------------------------- the importer

PY_TWO_SUM = (
    "class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n"
    "        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n"
    "                return [seen[target - x], i]\n            seen[x] = i\n"
)
GO_TWO_SUM = (
    "func twoSum(nums []int, target int) []int {\n\tfor i := range nums {\n\t\tfor j := i + 1; j < len(nums); j++ {\n"
    "\t\t\tif nums[i]+nums[j] == target {\n\t\t\t\treturn []int{i, j}\n\t\t\t}\n\t\t}\n\t}\n\treturn nil\n}\n"
)
PY_WRONG = "class Solution:\n    def twoSum(self, nums, target):\n        return [0, 0]\n"


def write_problem(root: Path, name: str = "two-sum", problem_id: int = 1) -> Path:
    folder = root / name
    (folder / "tests").mkdir(parents=True)
    (folder / "problem.json").write_text(
        json.dumps({"problem_id": problem_id, "difficulty": "Easy", "tags": ["array"]})
    )
    (folder / "statement.md").write_text("Return the indices of the two numbers that add up to target.\n")
    (folder / "metadata.json").write_text(json.dumps(TWO_SUM))
    for index, (nums, target, answer) in enumerate(
        [([2, 7, 11, 15], 9, [0, 1]), ([3, 2, 4], 6, [1, 2]), ([3, 3], 6, [0, 1])]
    ):
        (folder / "tests" / f"{index + 1}.in").write_text(f"{json.dumps(nums)}\n{target}\n")
        (folder / "tests" / f"{index + 1}.out").write_text(json.dumps(answer) + "\n")
    (folder / "Solution_hash_map.py").write_text(PY_TWO_SUM)
    (folder / "Solution_wrong_first_two.py").write_text(PY_WRONG)
    (folder / "Solution.go").write_text(GO_TWO_SUM)
    return folder


def test_import_leetcode_directory_then_validate(tmp_path: Path) -> None:
    write_problem(tmp_path / "src")
    write_problem(tmp_path / "src", "two-sum-again", 2)
    out = tmp_path / "rows" / "typed.jsonl"
    result = run_cli("dataset", "import-leetcode", str(tmp_path / "src"), "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rows"] == 2
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert isinstance(rows[0]["metadata"], str) and isinstance(rows[0]["test_cases"], str)  # hub-shaped JSON text
    problem = load_problems(str(out))[0]
    assert problem.title == "two-sum" and problem.metadata == TWO_SUM and len(problem.test_cases) == 3
    assert [(s.label, s.passed) for s in problem.solutions["python"]] == [
        ("hash map", True),
        ("wrong first two", False),
    ]
    assert (
        set(problem.code_prompt) == set(LANGUAGES)
        and "def twoSum(self, nums: List[int], target: int)" in problem.code_prompt["python"]
    )
    validated = run_cli("dataset", "validate", "-d", str(out), "--problem", "two-sum", "--json")
    summary = json.loads(validated.stdout)
    assert validated.returncode == 0, summary["mismatches"]
    ready = summary["languages"]
    assert summary["solutions"] == 3 + len(ready)  # the three solutions + one stub probe per language


BROKEN = {
    "no metadata": (lambda folder: (folder / "metadata.json").unlink(), "missing metadata.json"),
    "bad type": (
        lambda folder: (folder / "metadata.json").write_text(json.dumps({**TWO_SUM, "return": {"type": "set"}})),
        "return.type",
    ),
    "wrong line count": (lambda folder: (folder / "tests" / "1.in").write_text("[2,7,11,15]\n"), "1 input lines for 2"),
    "answer of the wrong type": (lambda folder: (folder / "tests" / "2.out").write_text('"x"'), "expected output"),
    "unpaired test": (lambda folder: (folder / "tests" / "3.out").unlink(), "without their .in or .out"),
    "unknown language": (lambda folder: (folder / "Solution.txt").write_text("?"), "unknown language extension"),
    "bad problem.json": (lambda folder: (folder / "problem.json").write_text('{"title": "x"}'), "problem_id"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_import_leetcode_broken_input_is_one_line_exit_2(tmp_path: Path, case: str) -> None:
    folder = write_problem(tmp_path / "src")
    damage, message = BROKEN[case]
    damage(folder)
    out = tmp_path / "out.jsonl"
    result = run_cli("dataset", "import-leetcode", str(tmp_path / "src"), "--out", str(out))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_import_leetcode_duplicate_ids_and_missing_dir(tmp_path: Path) -> None:
    write_problem(tmp_path / "src")
    write_problem(tmp_path / "src", "copy", 1)
    result = run_cli("dataset", "import-leetcode", str(tmp_path / "src"), "--out", str(tmp_path / "o.jsonl"))
    assert result.returncode == 2 and "problem_id 1 is used by both" in result.stderr
    missing = run_cli("dataset", "import-leetcode", str(tmp_path / "nope"), "--out", str(tmp_path / "o.jsonl"))
    assert missing.returncode == 2 and "not a directory" in missing.stderr and "Traceback" not in missing.stderr


# ------------------------------------------------------------------------------ Venus config rows


def test_venus_config_row_with_metadata_and_tests_runs_in_every_language(tmp_path: Path) -> None:
    row = {
        "question_id": 77,
        "title_slug": "two-sum",
        "rt_list": [{"code": PY_TWO_SUM}],
        "mm_list": [{"code": PY_WRONG}],
        "metaData": json.dumps(TWO_SUM),
        "test_cases": json.dumps(
            [{"input": "[2,7,11,15]\n9\n", "output": "[0,1]"}, {"input": "[3,2,4]\n6\n", "output": "[1,2]"}]
        ),
    }
    path = tmp_path / "venus_python3.jsonl"
    path.write_text(json.dumps(row) + "\n")
    (problem,) = load_problems(str(path))
    assert problem.metadata == TWO_SUM and len(problem.test_cases) == 2 and problem.title == "two-sum"
    result = run_cli("dataset", "validate", "-d", str(path), "--json")
    summary = json.loads(result.stdout)
    # rt_list/mm_list carry no verdicts: both count as "correct", so the wrong one is the one mismatch
    assert [m["label"] for m in summary["mismatches"]] == [""] and summary["mismatches"][0]["index"] == 1
    assert summary["solutions"] == 2 + len(summary["languages"]) and len(summary["languages"]) == len(LANGUAGES)


# ----------------------------------------------------------------------- bundled typed problems


def test_typed_problems_are_bundled_and_well_formed() -> None:
    assert len(TYPED) >= 8
    ids = [p.problem_id for p in load_problems("venus-mini")]
    assert len(ids) == len(set(ids))
    kinds = {str(t) for p in TYPED for t in parse_signature(p.metadata).types()}
    assert {"integer[]", "string", "character[][]", "ListNode", "TreeNode", "double", "list<list<string>>"} <= kinds
    assert any(parse_signature(p.metadata).in_place_index is not None for p in TYPED)
    for problem in TYPED:
        tests = problem_tests(problem)
        assert not problem.test_case_runners and len(tests) >= 20
        assert malformed_tests(problem, tests) == []


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("problem", TYPED, ids=lambda p: p.title)
def test_typed_problem_validates_in_all_six_languages(problem: Problem) -> None:
    for language in LANGUAGES:
        require_language(language)
    result = run_cli("dataset", "validate", "--problem", str(problem.problem_id), "--json", timeout=3600)
    summary = json.loads(result.stdout)
    assert sorted(summary["languages"]) == sorted(LANGUAGES)
    assert result.returncode == 0 and summary["mismatches"] == [], json.dumps(summary["mismatches"], indent=1)
    assert summary["solutions"] == sum(len(s) for s in problem.solutions.values()) + len(LANGUAGES)


def test_starters_are_leetcode_shaped() -> None:
    signature = parse_signature(
        {
            "name": "rotateList",
            "params": [{"name": "head", "type": "ListNode"}, {"name": "k", "type": "integer"}],
            "return": {"type": "ListNode"},
        }
    )
    assert "def rotateList(self, head: Optional[ListNode], k: int) -> Optional[ListNode]:" in starter_code(
        signature, "python"
    )
    assert "ListNode* rotateList(ListNode* head, int k)" in starter_code(signature, "cpp")
    assert "pub fn rotate_list(head: Option<Box<ListNode>>, k: i32) -> Option<Box<ListNode>>" in starter_code(
        signature, "rust"
    )
    assert "func rotateList(head *ListNode, k int) *ListNode" in starter_code(signature, "go")
    assert "public ListNode rotateList(ListNode head, int k)" in starter_code(signature, "java")
    assert "var rotateList = function(head, k)" in starter_code(signature, "javascript")


# ------------------------------------------------------------------------------- design classes

LEDGER = {
    "classname": "Ledger",
    "systemdesign": True,
    "constructor": {"params": [{"name": "owner", "type": "string"}]},
    "methods": [
        {"name": "add", "params": [{"name": "amount", "type": "integer"}], "return": {"type": "void"}},
        {
            "name": "addBoth",
            "params": [{"name": "first", "type": "integer"}, {"name": "second", "type": "integer"}],
            "return": {"type": "void"},
        },
        {"name": "total", "params": [], "return": {"type": "long"}},
        {"name": "average", "params": [], "return": {"type": "double"}},
        {"name": "history", "params": [], "return": {"type": "integer[]"}},
        {"name": "ownerName", "params": [], "return": {"type": "string"}},
        {"name": "isEmpty", "params": [], "return": {"type": "boolean"}},
    ],
    "return": {"type": "boolean"},
}
LEDGER_TESTS = [
    (
        '["Ledger","isEmpty","add","addBoth","total","average","history","ownerName","isEmpty"]\n'
        '[["ann"],[],[5],[-2,1],[],[],[],[],[]]\n',
        '[null,true,null,null,4,1.3333333333,[5,-2,1],"ann",false]',
    ),
    ('["Ledger","ownerName","add","history"]\n[["b\\"o"],[],[2147483647],[]]\n', '[null,"b\\"o",null,[2147483647]]'),
]
LEDGER_SOLUTIONS = {
    "python": """
class Ledger:
    def __init__(self, owner: str):
        self.owner, self.amounts = owner, []

    def add(self, amount: int) -> None:
        self.amounts.append(amount)

    def addBoth(self, first: int, second: int) -> None:
        self.amounts += [first, second]

    def total(self) -> int:
        return sum(self.amounts)

    def average(self) -> float:
        return sum(self.amounts) / len(self.amounts)

    def history(self) -> List[int]:
        return self.amounts

    def ownerName(self) -> str:
        return self.owner

    def isEmpty(self) -> bool:
        return not self.amounts
""",
    "javascript": """
class Ledger {
    constructor(owner) { this.owner = owner; this.amounts = []; }
    add(amount) { this.amounts.push(amount); }
    addBoth(first, second) { this.amounts.push(first, second); }
    total() { return this.amounts.reduce((a, b) => a + b, 0); }
    average() { return this.total() / this.amounts.length; }
    history() { return this.amounts; }
    ownerName() { return this.owner; }
    isEmpty() { return this.amounts.length === 0; }
}
""",
    "cpp": """
class Ledger {
    string owner;
    vector<int> amounts;
public:
    Ledger(string owner) : owner(owner) {}
    void add(int amount) { amounts.push_back(amount); }
    void addBoth(int first, int second) { amounts.push_back(first); amounts.push_back(second); }
    long long total() { return accumulate(amounts.begin(), amounts.end(), 0LL); }
    double average() { return (double)total() / amounts.size(); }
    vector<int> history() { return amounts; }
    string ownerName() { return owner; }
    bool isEmpty() { return amounts.empty(); }
};
""",
    "java": """
class Ledger {
    private final String owner;
    private final List<Integer> amounts = new ArrayList<>();

    public Ledger(String owner) { this.owner = owner; }
    public void add(int amount) { amounts.add(amount); }
    public void addBoth(int first, int second) { amounts.add(first); amounts.add(second); }
    public long total() { return amounts.stream().mapToLong(Integer::longValue).sum(); }
    public double average() { return (double) total() / amounts.size(); }
    public int[] history() { return amounts.stream().mapToInt(Integer::intValue).toArray(); }
    public String ownerName() { return owner; }
    public boolean isEmpty() { return amounts.isEmpty(); }
}
""",
    "go": """
type Ledger struct {
	owner   string
	amounts []int
}

func Constructor(owner string) Ledger { return Ledger{owner: owner} }

func (this *Ledger) Add(amount int) { this.amounts = append(this.amounts, amount) }

func (this *Ledger) AddBoth(first int, second int) { this.amounts = append(this.amounts, first, second) }

func (this *Ledger) Total() int64 {
	var sum int64
	for _, x := range this.amounts {
		sum += int64(x)
	}
	return sum
}

func (this *Ledger) Average() float64 { return float64(this.Total()) / float64(len(this.amounts)) }

func (this *Ledger) History() []int { return this.amounts }

func (this *Ledger) OwnerName() string { return this.owner }

func (this *Ledger) IsEmpty() bool { return len(this.amounts) == 0 }
""",
    "rust": """
struct Ledger {
    owner: String,
    amounts: Vec<i32>,
}

impl Ledger {
    fn new(owner: String) -> Self {
        Ledger { owner, amounts: Vec::new() }
    }
    fn add(&mut self, amount: i32) {
        self.amounts.push(amount);
    }
    fn add_both(&mut self, first: i32, second: i32) {
        self.amounts.extend([first, second]);
    }
    fn total(&self) -> i64 {
        self.amounts.iter().map(|&x| x as i64).sum()
    }
    fn average(&self) -> f64 {
        self.total() as f64 / self.amounts.len() as f64
    }
    fn history(&self) -> Vec<i32> {
        self.amounts.clone()
    }
    fn owner_name(&self) -> String {
        self.owner.clone()
    }
    fn is_empty(&self) -> bool {
        self.amounts.is_empty()
    }
}
""",
}


def ledger_problem() -> Problem:
    return Problem(
        problem_id="ledger",
        title="ledger",
        metadata=LEDGER,
        test_cases=[TestCase(input=i, output=o) for i, o in LEDGER_TESTS],
    )


def test_design_metadata_and_evaluator() -> None:
    signature = parse_signature(LEDGER)
    assert signature.classname == "Ledger" and [m.name for m in signature.methods][:2] == ["add", "addBoth"]
    assert {"string", "string[]", "integer[]", "long", "double", "boolean"} <= {str(t) for t in signature.types()}
    evaluate = evaluator_of(ledger_problem())
    assert evaluate("[null,4,1.5]", "[null, 4, 1.5000001]") and not evaluate("[null,4,1.5]", "[null,4,2]")
    assert not evaluate("[null,true]", "[null,1]") and not evaluate("[null]", "oops")
    assert malformed_tests(ledger_problem(), ledger_problem().test_cases) == []
    broken = TestCase(input='["Ledger","nope"]\n[["x"],[]]\n', output="[null,1]")
    assert malformed_tests(ledger_problem(), [broken]) == ["test 0: call 1: no method 'nope'"]
    for bad, message in [
        ({**LEDGER, "methods": []}, "at least one method"),
        ({**LEDGER, "methods": [LEDGER["methods"][0]] * 2}, "method names repeat"),
    ]:
        with pytest.raises(SignatureError, match=message):
            parse_signature(bad)


@pytest.mark.parametrize("language", LANGUAGES)
def test_design_class_runner(engine, language: str) -> None:
    require_language(language)
    assert_accepted(engine, LEDGER, LEDGER_TESTS, LEDGER_SOLUTIONS[language], language)
    from afterburner_core.leetcode.probes import runner_probe

    probe_problem, stub = runner_probe(ledger_problem(), language)
    assert "Ledger" in stub
    probe = engine.run_problem(ProblemRunRequest(problem=probe_problem, code=stub, language=language))
    assert probe.verdict == Verdict.accepted, (probe.compile.stderr[-3000:], probe.stderr, probe.failing_test)
