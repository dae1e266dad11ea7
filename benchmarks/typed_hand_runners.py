"""Hand-written runners for two bundled typed problems, the baseline of benchmarks.typed_runners.

They read the same tests as the generated runners (one JSON value per parameter per line) and print
the same JSON, but are written for one signature each, the way a Venus author writes a runner:
no generic reader, no per-type helpers. pair-sum-indices: ``findPairIndices(int[] nums, int
target) -> int[]``; reverse-linked-list: ``reverseList(ListNode head) -> ListNode``. A solution
may return null/None (the benchmark's trivial solution does): it prints as an empty array.
"""

from __future__ import annotations

from afterburner_lang_cpp.leetcode import LIST_NODE as CPP_LIST_NODE
from afterburner_lang_java.leetcode import LIST_NODE as JAVA_LIST_NODE
from afterburner_lang_rust.leetcode import LIST_NODE as RUST_LIST_NODE

# `fn main() {` reading stdin, the first line's JSON array of integers into `values`, `lines` left
RUST_READ_INT_ARRAY = """\
fn main() {
    let mut input = String::new();
    io::stdin().read_to_string(&mut input).unwrap();
    let mut lines = input.lines();
    let values: Vec<i32> = lines.next().unwrap().trim().trim_matches(|c| c == '[' || c == ']')
        .split(',').filter(|s| !s.trim().is_empty()).map(|s| s.trim().parse().unwrap()).collect();
"""

# Main.main up to the first line's JSON array of integers split into `fields` (`in` left for more)
JAVA_READ_FIELDS = """\
import java.util.*;
import java.io.*;

public class Main {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String list = in.readLine().trim();
        String body = list.substring(1, list.length() - 1).trim();
        String[] fields = body.isEmpty() ? new String[0] : body.split(",");
"""

# reads the first JSON array of integers on stdin into `values`
CPP_READ_INT_ARRAY = """\
    vector<int> values;
    int c = getchar_unlocked();
    while (c != '[') c = getchar_unlocked();
    long long x = 0;
    bool negative = false, digits = false;
    while ((c = getchar_unlocked()) != ']') {
        if (c == '-') negative = true;
        else if (c >= '0' && c <= '9') { x = x * 10 + (c - '0'); digits = true; }
        else if (c == ',') { values.push_back((int)(negative ? -x : x)); x = 0; negative = digits = false; }
    }
    if (digits) values.push_back((int)(negative ? -x : x));
"""

PAIR_SUM = {
    "python": """\
import sys
import json
from typing import *

==Code Submission==

_lines = sys.stdin.read().split("\\n")
_answer = Solution().findPairIndices(json.loads(_lines[0]), int(_lines[1]))
print(json.dumps(_answer or [], separators=(",", ":")))
""",
    "javascript": """\
==Code Submission==

const _lines = require('fs').readFileSync(0, 'utf8').split('\\n');
const _answer = findPairIndices(JSON.parse(_lines[0]), Number(_lines[1]));
process.stdout.write(JSON.stringify(_answer || []) + '\\n');
""",
    "cpp": """\
#include <bits/stdc++.h>
using namespace std;

==Code Submission==

int main() {
"""
    + CPP_READ_INT_ARRAY
    + """    int target = 0;
    if (scanf("%d", &target) != 1) return 1;
    vector<int> answer = Solution().findPairIndices(values, target);
    string out = "[";
    for (size_t i = 0; i < answer.size(); ++i) out += (i ? "," : "") + to_string(answer[i]);
    puts((out + "]").c_str());
    return 0;
}
""",
    "rust": """\
use std::io::{self, Read, Write};

struct Solution;

==Code Submission==

"""
    + RUST_READ_INT_ARRAY
    + """    let target: i32 = lines.next().unwrap().trim().parse().unwrap();
    let answer = Solution::find_pair_indices(values, target);
    let text: Vec<String> = answer.iter().map(|x| x.to_string()).collect();
    writeln!(io::stdout(), "[{}]", text.join(",")).unwrap();
}
""",
    "go": """\
package main

import (
\t"bufio"
\t"io"
\t"os"
\t"sort"
\t"strconv"
\t"strings"
)

var _ = sort.Ints

==Code Submission==

func main() {
\tdata, _ := io.ReadAll(os.Stdin)
\tlines := strings.Split(string(data), "\\n")
\tvar nums []int
\tfor _, field := range strings.Split(strings.Trim(strings.TrimSpace(lines[0]), "[]"), ",") {
\t\tif field = strings.TrimSpace(field); field != "" {
\t\t\tx, _ := strconv.Atoi(field)
\t\t\tnums = append(nums, x)
\t\t}
\t}
\ttarget, _ := strconv.Atoi(strings.TrimSpace(lines[1]))
\tanswer := findPairIndices(nums, target)
\tw := bufio.NewWriter(os.Stdout)
\tdefer w.Flush()
\tw.WriteString("[")
\tfor i, x := range answer {
\t\tif i > 0 {
\t\t\tw.WriteString(",")
\t\t}
\t\tw.WriteString(strconv.Itoa(x))
\t}
\tw.WriteString("]\\n")
}
""",
    "java": JAVA_READ_FIELDS
    + """\
        int[] nums = new int[fields.length];
        for (int i = 0; i < fields.length; i++) nums[i] = Integer.parseInt(fields[i].trim());
        int target = Integer.parseInt(in.readLine().trim());
        int[] answer = new Solution().findPairIndices(nums, target);
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; answer != null && i < answer.length; i++) out.append(i > 0 ? "," : "").append(answer[i]);
        System.out.println(out.append(']'));
        System.out.flush();
    }
}

==Code Submission==
""",
}

REVERSE_LIST = {
    "python": """\
import sys
import json
from typing import *


class ListNode:
    def __init__(self, val=0, next=None):
        self.val = val
        self.next = next


==Code Submission==

_head = None
for _value in reversed(json.loads(sys.stdin.read().split("\\n")[0])):
    _head = ListNode(_value, _head)
_node, _values = Solution().reverseList(_head), []
while _node:
    _values.append(_node.val)
    _node = _node.next
print(json.dumps(_values, separators=(",", ":")))
""",
    "javascript": """\
function ListNode(val, next) {
    this.val = (val === undefined ? 0 : val);
    this.next = (next === undefined ? null : next);
}

==Code Submission==

const _values = JSON.parse(require('fs').readFileSync(0, 'utf8').split('\\n')[0]);
let _head = null;
for (let i = _values.length - 1; i >= 0; i--) _head = new ListNode(_values[i], _head);
const _out = [];
for (let node = reverseList(_head); node; node = node.next) _out.push(node.val);
process.stdout.write(JSON.stringify(_out) + '\\n');
""",
    "cpp": """\
#include <bits/stdc++.h>
using namespace std;

"""
    + CPP_LIST_NODE
    + """
==Code Submission==

int main() {
"""
    + CPP_READ_INT_ARRAY
    + """    ListNode* head = nullptr;
    for (size_t i = values.size(); i-- > 0;) head = new ListNode(values[i], head);
    string out = "[";
    for (ListNode* node = Solution().reverseList(head); node; node = node->next)
        out += (out.size() > 1 ? "," : "") + to_string(node->val);
    puts((out + "]").c_str());
    return 0;
}
""",
    "rust": """\
use std::io::{self, Read, Write};

struct Solution;

"""
    + RUST_LIST_NODE
    + """
==Code Submission==

"""
    + RUST_READ_INT_ARRAY
    + """    let mut head: Option<Box<ListNode>> = None;
    for &value in values.iter().rev() {
        head = Some(Box::new(ListNode { val: value, next: head }));
    }
    let answer = Solution::reverse_list(head);
    let mut text: Vec<String> = Vec::new();
    let mut node = &answer;
    while let Some(current) = node {
        text.push(current.val.to_string());
        node = &current.next;
    }
    writeln!(io::stdout(), "[{}]", text.join(",")).unwrap();
    std::process::exit(0);
}
""",
    "go": """\
package main

import (
\t"bufio"
\t"io"
\t"os"
\t"strconv"
\t"strings"
)

type ListNode struct {
\tVal  int
\tNext *ListNode
}

==Code Submission==

func main() {
\tdata, _ := io.ReadAll(os.Stdin)
\tline := strings.TrimSpace(strings.Split(string(data), "\\n")[0])
\tvar values []int
\tfor _, field := range strings.Split(strings.Trim(line, "[]"), ",") {
\t\tif field = strings.TrimSpace(field); field != "" {
\t\t\tx, _ := strconv.Atoi(field)
\t\t\tvalues = append(values, x)
\t\t}
\t}
\tvar head *ListNode
\tfor i := len(values) - 1; i >= 0; i-- {
\t\thead = &ListNode{Val: values[i], Next: head}
\t}
\tw := bufio.NewWriter(os.Stdout)
\tdefer w.Flush()
\tw.WriteString("[")
\tfirst := true
\tfor node := reverseList(head); node != nil; node = node.Next {
\t\tif !first {
\t\t\tw.WriteString(",")
\t\t}
\t\tfirst = false
\t\tw.WriteString(strconv.Itoa(node.Val))
\t}
\tw.WriteString("]\\n")
}
""",
    "java": JAVA_READ_FIELDS
    + """\
        ListNode head = null;
        for (int i = fields.length - 1; i >= 0; i--) head = new ListNode(Integer.parseInt(fields[i].trim()), head);
        StringBuilder out = new StringBuilder("[");
        for (ListNode node = new Solution().reverseList(head); node != null; node = node.next) {
            if (out.length() > 1) out.append(',');
            out.append(node.val);
        }
        System.out.println(out.append(']'));
        System.out.flush();
    }
}

"""
    + JAVA_LIST_NODE
    + """
==Code Submission==
""",
}

HAND_WRITTEN = {"pair-sum-indices": PAIR_SUM, "reverse-linked-list": REVERSE_LIST}
