"""The host side of `abagent`: commands over a container's attached stdin, answers from its stdout.

Docker multiplexes an attached container's stdout and stderr into frames (an 8-byte header: the
stream number, three zero bytes, a big-endian payload length). Only stdout carries answers; the
agent's stderr is kept for error messages. The channel belongs to one container and is used by
one job at a time (a job holds its core, and a container serves one core).
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from afterburner_core.errors import SandboxError
from afterburner_core.sandbox.supervision.supervisor import Launched

HEADER = struct.Struct(">BxxxL")


class AgentChannel:
    """A framed, deadline-aware byte stream to one container's agent."""

    def __init__(self, attached: Any, name: str) -> None:
        raw = getattr(attached, "_sock", attached)
        self._sock: socket.socket = raw
        self._attached = attached  # keeps docker-py's response object (and the socket) alive
        self.name = name
        self._stdout = bytearray()
        self._stderr = bytearray()
        self.broken = False

    # ---------------------------------------------------------------- framing
    def _recv_exact(self, size: int, deadline: float) -> bytes:
        data = bytearray()
        while len(data) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            self._sock.settimeout(remaining)
            chunk = self._sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("the container's agent closed its output")
            data += chunk
        return bytes(data)

    def _read_frame(self, deadline: float) -> None:
        stream, size = HEADER.unpack(self._recv_exact(HEADER.size, deadline))
        payload = self._recv_exact(size, deadline) if size else b""
        (self._stdout if stream == 1 else self._stderr).extend(payload)
        del self._stderr[:-4096]  # only the tail is ever shown

    def _take_line(self, deadline: float) -> str:
        while b"\n" not in self._stdout:
            self._read_frame(deadline)
        line, _, rest = bytes(self._stdout).partition(b"\n")
        self._stdout[:] = rest
        return line.decode("utf-8", "replace")

    def _take(self, size: int, deadline: float) -> bytes:
        while len(self._stdout) < size:
            self._read_frame(deadline)
        data = bytes(self._stdout[:size])
        del self._stdout[:size]
        return data

    # ---------------------------------------------------------------- commands
    def _exchange(self, line: str, timeout_s: float, body: bool) -> tuple[str, bytes, bytes]:
        if self.broken:
            raise SandboxError(f"container {self.name} is no longer usable")
        deadline = time.monotonic() + timeout_s
        try:
            self._sock.settimeout(timeout_s)
            self._sock.sendall(line.encode() + b"\n")
            answer = self._take_line(deadline)
            out = err = b""
            if body and answer.startswith("RAN "):
                _, _, out_len, err_len = answer.split()
                out, err = self._take(int(out_len), deadline), self._take(int(err_len), deadline)
        except (OSError, TimeoutError, ConnectionError, ValueError, struct.error) as exc:
            self.broken = True
            detail = bytes(self._stderr).decode("utf-8", "replace").strip()[-300:]
            reason = "timed out" if isinstance(exc, TimeoutError) else str(exc) or type(exc).__name__
            raise SandboxError(f"container {self.name}: agent {reason}{': ' + detail if detail else ''}") from exc
        if answer.startswith("ERR"):
            raise SandboxError(f"container {self.name}: agent refused {line.split()[0]}: {answer[4:]}")
        return answer, out, err

    def ping(self, timeout_s: float = 30.0) -> None:
        answer, _, _ = self._exchange("PING", timeout_s, body=False)
        if answer != "PONG":
            self.broken = True
            raise SandboxError(f"container {self.name}: unexpected agent greeting {answer[:80]!r}")

    def run(self, request_file: Path, timeout_s: float) -> Launched:
        answer, out, err = self._exchange(f"RUN {request_file}", timeout_s, body=True)
        status = int(answer.split()[1])
        code = os.waitstatus_to_exitcode(status)
        return Launched(code, out, err)

    def clean(self, directories: list[str], timeout_s: float = 30.0) -> int:
        """Kill every process but the agent and empty `directories`; returns processes still alive."""
        answer, _, _ = self._exchange("CLEAN " + " ".join(directories), timeout_s, body=False)
        return int(answer.split()[1])

    def close(self) -> None:
        self.broken = True
        with contextlib.suppress(OSError):
            self._sock.close()


class AgentLauncher:
    """Runs the supervisor inside a container through its agent (the docker backend's launcher).

    The agent answers once the supervisor has exited, with all its output: records are not
    streamed, so a sequence cannot be stopped early from here (the supervisor still stops on a
    crash or a limit), and the output never sits in the agent's memory -- which the container's
    cgroup charges -- while the program runs."""

    streams = False

    def __init__(self, channel: AgentChannel, binary: str, request_dir: Path) -> None:
        self.channel = channel
        self.binary = binary
        self.request_file = request_dir / ".agent-request"

    def __call__(
        self,
        command: list[str],
        env: dict[str, str],
        timeout_s: float,
        on_output: Callable[[bytes], bool] | None = None,
    ) -> Launched:
        if not all(command):
            raise SandboxError("the docker backend cannot pass an empty argument to a program")
        strings = [*command, "", *(f"{k}={v}" for k, v in env.items()), ""]
        self.request_file.write_bytes(b"".join(s.encode("utf-8", "surrogateescape") + b"\0" for s in strings))
        self.request_file.chmod(0o644)
        return self.channel.run(self.request_file, timeout_s)
