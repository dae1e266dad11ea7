"""In-process test loop for Python runners (see the plugin docstring and RunPlan's protocol).

argv: PROGRAM TESTS_DIR COUNT TIMINGS_FILE OUTPUT_CAP_BYTES
"""

import builtins
import io
import os
import sys
import time
import traceback

PRELUDE = (
    "from typing import *\n"
    "import collections, heapq, bisect, math, itertools, functools, string, re, random, operator, sys\n"
    "from collections import *\nfrom heapq import *\nfrom bisect import *\n"
    "from functools import *\nfrom itertools import *\nfrom math import *\n"
)


class OutputLimit(BaseException):
    """Raised when the program prints more than the cap (BaseException: `except Exception` won't eat it)."""


class CappedBytes(io.BytesIO):
    def __init__(self, cap):
        super().__init__()
        self.cap = cap

    def write(self, data):
        if self.tell() + len(data) > self.cap:
            raise OutputLimit()
        return super().write(data)

    def close(self):
        # The program may close sys.stdout; keep what it printed readable.
        pass


def main():
    program, tests_dir, count, timings_path, cap = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    with open(program, "rb") as handle:
        code = compile(handle.read(), program, "exec")
    prelude = {}
    exec(PRELUDE, prelude)
    real_stdin, real_stdout = sys.stdin, sys.stdout
    timings = open(timings_path, "w", encoding="utf-8")  # noqa: SIM115 - written per test, closed at the end
    sys.setrecursionlimit(1_000_000)
    for index in range(count):
        with open(os.path.join(tests_dir, f"{index}.in"), "rb") as handle:
            data = handle.read()
        sink = CappedBytes(cap)
        sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape")
        sys.stdout = io.TextIOWrapper(sink, encoding="utf-8", errors="surrogateescape", write_through=True)
        namespace = dict(prelude)
        namespace.update(__name__="__main__", __builtins__=builtins, __file__=program)
        status, message = "ok", ""
        c0 = time.process_time_ns()
        t0 = time.monotonic_ns()
        try:
            exec(code, namespace)
            sys.stdout.flush()
        except SystemExit as exc:
            if exc.code not in (None, 0):
                status, message = "error", f"SystemExit({exc.code!r})"
        except OutputLimit:
            status = "output_limit"
        except BaseException:
            status, message = "error", traceback.format_exc(limit=-4)
        t1 = time.monotonic_ns()
        c1 = time.process_time_ns()
        produced = sink.getvalue()
        sys.stdin, sys.stdout = real_stdin, real_stdout
        # Functions the test defined reference its globals: clearing them breaks the cycles, so
        # one test's data is freed before the next starts (memory is per test, as in a process).
        namespace.clear()
        with open(os.path.join(tests_dir, f"{index}.out"), "wb") as handle:
            handle.write(produced)
        flat = message.replace("\t", " ").replace("\n", "\\n")
        timings.write(f"{index}\t{t0}\t{t1}\t{c1 - c0}\t{status}\t{flat}\n")
        timings.flush()
        if status != "ok":
            break
    timings.close()


main()
