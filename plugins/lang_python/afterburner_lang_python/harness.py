"""In-process test loop for Python runners, driven by the supervisor (protocol: RunPlan's docstring
and ``sandbox/supervision/abrun/harness.c``).

argv: PROGRAM OUTPUT_CAP_BYTES. Tests arrive on fd 3, answers leave on fd 4. This loop only feeds
the program and collects what it prints; it measures nothing -- the supervisor stamps each test
when GO and DONE reach it -- so a program that tampers with this process (its clocks, this
module, its files) cannot change a figure, only break the protocol, which the supervisor reports.
"""

import builtins
import gc
import io
import os
import sys
import traceback

PRELUDE = (
    "from typing import *\n"
    "import collections, heapq, bisect, math, itertools, functools, string, re, random, operator, sys\n"
    "from collections import *\nfrom heapq import *\nfrom bisect import *\n"
    "from functools import *\nfrom itertools import *\nfrom math import *\n"
)
TESTS_IN, RESULTS_OUT = 3, 4


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


class TestChannel:
    """Reads the supervisor's 'TEST <i> <n>' lines and inputs from fd 3 (an input straight into
    its own buffer)."""

    def __init__(self):
        self.stream = io.FileIO(TESTS_IN, "rb", closefd=False)
        self.pending = b""

    def next_header(self):
        """(index, input size) of the next test, or None when the supervisor has none left (EOF)."""
        while b"\n" not in self.pending:
            chunk = self.stream.read(256)
            if not chunk:
                return None
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        _, index, size = line.decode().split()
        return index, int(size)

    def input(self, size):
        data = bytearray(size)
        view = memoryview(data)
        filled = min(len(self.pending), size)
        view[:filled] = self.pending[:filled]
        self.pending = self.pending[filled:]
        while filled < size:
            got = self.stream.readinto(view[filled:])
            if not got:
                raise EOFError("the supervisor closed the test channel mid-input")
            filled += got
        return data


def send(data):
    view = memoryview(data)
    while view:
        view = view[os.write(RESULTS_OUT, view) :]


def main():
    program, cap = sys.argv[1], int(sys.argv[2])
    with open(program, "rb") as handle:
        code = compile(handle.read(), program, "exec")
    prelude = {}
    exec(PRELUDE, prelude)
    real_stdin, real_stdout = sys.stdin, sys.stdout
    sys.setrecursionlimit(1_000_000)
    channel = TestChannel()
    gc.collect()
    gc.freeze()  # the harness's own objects: later collections walk only what the tests create
    send(b"READY\n")
    while (header := channel.next_header()) is not None:
        index, size = header
        send(f"GO {index}\n".encode())
        sink = CappedBytes(cap)
        sys.stdin = io.TextIOWrapper(io.BytesIO(channel.input(size)), encoding="utf-8", errors="surrogateescape")
        sys.stdout = io.TextIOWrapper(sink, encoding="utf-8", errors="surrogateescape", write_through=True)
        namespace = dict(prelude)
        namespace.update(__name__="__main__", __builtins__=builtins, __file__=program)
        status, message = "ok", ""
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
        produced = sink.getvalue()
        sys.stdin, sys.stdout = real_stdin, real_stdout
        # Freeing what the test built is the test's work (a process would pay for it too), so it
        # happens inside the window: functions the test defined reference its globals, and
        # clearing them breaks the cycles so the collector frees the rest now.
        namespace.clear()
        del namespace
        gc.collect()
        payload = message.encode("utf-8", "replace")[:65536]
        send(f"DONE {index} {status} {len(produced)} {len(payload)}\n".encode() + produced + payload)
        if status != "ok":
            break


main()
