"""A tiny Venus-shaped problem ("sum of a list") with runners and verdict-producing solutions in
all six languages: the language-plugin test corpus (also reused by later backends' tests)."""

from __future__ import annotations

from afterburner_core.models import Problem, TestCase

RUNNERS = {
    "python": """import sys
==Code Submission==
data = sys.stdin.read().split()
n = int(data[0])
nums = [int(x) for x in data[1:1 + n]]
print(Solution().total(nums))
""",
    "cpp": """#include <bits/stdc++.h>
using namespace std;
==Code Submission==
int main() {
    int n; cin >> n; vector<long long> v(n);
    for (auto &x : v) cin >> x;
    Solution s; cout << s.total(v) << "\\n";
}
""",
    "rust": """use std::io::{self, Read};
struct Solution;
==Code Submission==
fn main() {
    let mut s = String::new();
    io::stdin().read_to_string(&mut s).unwrap();
    let mut it = s.split_ascii_whitespace().map(|x| x.parse::<i64>().unwrap());
    let n = it.next().unwrap() as usize;
    let v: Vec<i64> = it.take(n).collect();
    println!("{}", Solution::total(v));
}
""",
    "go": """package main

import (
	"bufio"
	"fmt"
	"os"
)

==Code Submission==

func main() {
	r := bufio.NewReader(os.Stdin)
	var n int
	fmt.Fscan(r, &n)
	v := make([]int64, n)
	for i := range v {
		fmt.Fscan(r, &v[i])
	}
	fmt.Println(total(v))
}
""",
    "java": """import java.util.*;
import java.io.*;

==Code Submission==

public class Main {
    public static void main(String[] args) throws Exception {
        BufferedReader br = new BufferedReader(new InputStreamReader(System.in));
        int n = Integer.parseInt(br.readLine().trim());
        long[] v = new long[n];
        if (n > 0) {
            StringTokenizer st = new StringTokenizer(br.readLine());
            for (int i = 0; i < n; i++) v[i] = Long.parseLong(st.nextToken());
        }
        System.out.println(new Solution().total(v));
    }
}
""",
    "javascript": """const lines = require('fs').readFileSync(0, 'utf8').split('\\n');
==Code Submission==
const n = parseInt(lines[0]);
const nums = n > 0 ? lines[1].trim().split(/\\s+/).map(Number) : [];
console.log(String(total(nums)));
""",
}

TESTS = [
    TestCase(input="3\n1 2 3\n", output="6\n"),
    TestCase(input="1\n-5\n", output="-5\n"),
    TestCase(input="4\n10 20 30 40\n", output="100\n"),
]

PROBLEM = Problem(
    problem_id="sum-of-list",
    title="sum-of-list",
    question_content="Return the sum of the list.",
    test_case_runners=RUNNERS,
    test_cases=TESTS,
)

# verdict -> language -> solution code
SOLUTIONS: dict[str, dict[str, str]] = {
    "accepted": {
        "python": "class Solution:\n    def total(self, nums: List[int]) -> int:\n        return sum(nums)\n",
        "cpp": "class Solution {\npublic:\n    long long total(vector<long long>& v) { long long s = 0; for (auto x : v) s += x; return s; }\n};\n",
        "rust": "impl Solution {\n    pub fn total(v: Vec<i64>) -> i64 { v.iter().sum() }\n}\n",
        "go": "func total(v []int64) int64 {\n\tvar s int64\n\tfor _, x := range v {\n\t\ts += x\n\t}\n\treturn s\n}\n",
        "java": "class Solution {\n    public long total(long[] v) { long s = 0; for (long x : v) s += x; return s; }\n}\n",
        "javascript": "var total = function(nums) {\n    return nums.reduce((a, b) => a + b, 0);\n};\n",
    },
    "wrong_answer": {
        "python": "class Solution:\n    def total(self, nums):\n        return sum(nums) + (1 if len(nums) > 2 else 0)\n",
        "cpp": "class Solution {\npublic:\n    long long total(vector<long long>& v) { long long s = 1; for (auto x : v) s += x; return s; }\n};\n",
        "rust": "impl Solution {\n    pub fn total(v: Vec<i64>) -> i64 { v.iter().sum::<i64>() + 1 }\n}\n",
        "go": "func total(v []int64) int64 {\n\treturn int64(len(v))\n}\n",
        "java": "class Solution {\n    public long total(long[] v) { return v.length; }\n}\n",
        "javascript": "var total = function(nums) {\n    return nums.length;\n};\n",
    },
    "runtime_error": {
        "python": "class Solution:\n    def total(self, nums):\n        raise ValueError('boom')\n",
        "cpp": "class Solution {\npublic:\n    long long total(vector<long long>& v) { volatile int *p = nullptr; *p = 1; return 0; }\n};\n",
        "rust": 'impl Solution {\n    pub fn total(v: Vec<i64>) -> i64 { panic!("boom") }\n}\n',
        "go": 'func total(v []int64) int64 {\n\tpanic("boom")\n}\n',
        "java": 'class Solution {\n    public long total(long[] v) { throw new IllegalStateException("boom"); }\n}\n',
        "javascript": "var total = function(nums) {\n    throw new Error('boom');\n};\n",
    },
    "time_limit": {
        "python": "class Solution:\n    def total(self, nums):\n        while True:\n            pass\n",
        "cpp": "class Solution {\npublic:\n    long long total(vector<long long>& v) { volatile long long s = 0; while (true) s++; return s; }\n};\n",
        "rust": "impl Solution {\n    pub fn total(v: Vec<i64>) -> i64 { let mut s: i64 = 0; loop { s = std::hint::black_box(s + 1); } }\n}\n",
        "go": "func total(v []int64) int64 {\n\tvar s int64\n\tfor {\n\t\ts++\n\t}\n}\n",
        "java": "class Solution {\n    public long total(long[] v) { long s = 0; while (true) { s++; if (s == -1) break; } return s; }\n}\n",
        "javascript": "var total = function(nums) {\n    let s = 0;\n    while (true) { s++; }\n};\n",
    },
    "memory_limit": {
        "python": "class Solution:\n    def total(self, nums):\n        blocks = []\n        while True:\n            blocks.append(b'x' * (16 << 20))\n",
        "cpp": "class Solution {\npublic:\n    long long total(vector<long long>& v) {\n        vector<vector<char>> blocks;\n        while (true) blocks.emplace_back(16 << 20, 'x');\n        return 0;\n    }\n};\n",
        "rust": "impl Solution {\n    pub fn total(v: Vec<i64>) -> i64 {\n        let mut blocks: Vec<Vec<u8>> = Vec::new();\n        loop { blocks.push(vec![7u8; 16 << 20]); }\n    }\n}\n",
        "go": "var sink [][]byte\n\nfunc total(v []int64) int64 {\n\tfor {\n\t\tb := make([]byte, 16<<20)\n\t\tfor i := range b {\n\t\t\tb[i] = 7\n\t\t}\n\t\tsink = append(sink, b)\n\t}\n}\n",
        "java": "class Solution {\n    public long total(long[] v) {\n        List<long[]> blocks = new ArrayList<>();\n        while (true) blocks.add(new long[2 << 20]);\n    }\n}\n",
        "javascript": "var total = function(nums) {\n    const blocks = [];\n    while (true) blocks.push(new Array(1 << 20).fill(1.5));\n};\n",
    },
    "output_limit": {
        "python": "class Solution:\n    def total(self, nums):\n        while True:\n            print('y' * 1000)\n",
        "cpp": "class Solution {\npublic:\n    long long total(vector<long long>& v) { string s(1000, 'y'); while (true) cout << s << '\\n'; return 0; }\n};\n",
        "rust": 'impl Solution {\n    pub fn total(v: Vec<i64>) -> i64 { let s = "y".repeat(1000); loop { println!("{}", s); } }\n}\n',
        "go": 'func total(v []int64) int64 {\n\tw := bufio.NewWriter(os.Stdout)\n\tfor {\n\t\tfmt.Fprintln(w, "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy")\n\t}\n}\n',
        "java": 'class Solution {\n    public long total(long[] v) { while (true) System.out.println("yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"); }\n}\n',
        "javascript": "var total = function(nums) {\n    while (true) console.log('y'.repeat(1000));\n};\n",
    },
    "compile_error": {
        "python": "class Solution:\n    def total(self, nums)\n        return sum(nums)\n",
        "cpp": "class Solution {\npublic:\n    long long total(vector<long long>& v) { return undefined_name; }\n};\n",
        "rust": 'impl Solution {\n    pub fn total(v: Vec<i64>) -> i64 { "not a number" }\n}\n',
        "go": 'func total(v []int64) int64 {\n\treturn "text"\n}\n',
        "java": 'class Solution {\n    public long total(long[] v) { return "text"; }\n}\n',
        "javascript": "var total = function(nums) {\n    return nums.reduce((a, b) => a + b, 0;\n};\n",
    },
}

# Whole programs for `exec` (program mode): print the sum of stdin's numbers.
PROGRAMS = {
    "python": "import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))\n",
    "cpp": "#include <iostream>\nint main() { long long s = 0, x; while (std::cin >> x) s += x; std::cout << s << std::endl; }\n",
    "rust": 'use std::io::Read;\nfn main() { let mut s = String::new(); std::io::stdin().read_to_string(&mut s).unwrap();\n    let t: i64 = s.split_whitespace().map(|x| x.parse::<i64>().unwrap()).sum(); println!("{}", t); }\n',
    "go": 'package main\n\nimport "fmt"\n\nfunc main() {\n\tvar s, x int64\n\tfor {\n\t\tif _, err := fmt.Scan(&x); err != nil {\n\t\t\tbreak\n\t\t}\n\t\ts += x\n\t}\n\tfmt.Println(s)\n}\n',
    "java": "import java.util.*;\npublic class Summer { public static void main(String[] a) { Scanner sc = new Scanner(System.in); long s = 0; while (sc.hasNextLong()) s += sc.nextLong(); System.out.println(s); } }\n",
    "javascript": "const t = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean).map(Number);\nconsole.log(t.reduce((a, b) => a + b, 0));\n",
}
