"""The `ray` backend: jobs fanned out over a Ray cluster, one actor per exclusive measuring core.

Each alive node gets ``CPUs - 1`` actors (one core stays free for housekeeping: supervisors,
samplers, Ray itself; at least one actor per node), pinned to their node with a hard
``NodeAffinitySchedulingStrategy`` and holding one Ray CPU each, so Ray does not schedule other
CPU work onto the capacity they measure on. Every actor builds its own *inner* backend (``local``
by default, or ``docker``) and runs one job at a time, so measurements are exactly the inner
backend's: the Ray layer only moves requests and reports.

Requests and reports cross the wire as ``model_dump(mode="json")`` dicts and are rebuilt with
``model_validate`` on the other side, so nothing depends on pickling pydantic objects between
possibly different library versions on driver and nodes.

Reports say ``backend == "ray"`` (what the caller asked for) and carry two extra fields:
``inner_backend`` (the backend that measured, e.g. ``"local"``) and ``node`` (the address of the
Ray node that ran the job), since timings are only comparable between runs on the same node kind.

Failures: an error the inner backend raises on purpose (an `AfterburnerError`: unknown language,
missing toolchain, malformed problem) is raised again on the driver with its class and message;
a dead actor or any other Ray failure becomes a one-line `SandboxError` (the server answers 503),
and the dead actor is replaced on its node so the next job runs.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

import ray
from ray.exceptions import GetTimeoutError, RayActorError, RayError, RayTaskError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from afterburner_core import errors
from afterburner_core.errors import AfterburnerError, SandboxError
from afterburner_core.models import ExecutionRequest, ProblemRunRequest, RunReport
from afterburner_core.plugins import get_registry
from afterburner_core.registry import Registry
from afterburner_core.sandbox.api import Sandbox

ACTOR_START_TIMEOUT_S = 120.0
"""How long actors may take to come up (Ray starts a Python worker per actor; slow on busy hosts)."""


class _Worker:
    """One Ray actor: an inner backend on its node, running one job at a time.

    Errors building the inner backend are kept and reported by `ready` instead of killing the
    actor, so the driver can show the inner backend's own one-line message.
    """

    def __init__(self, inner: str, options: dict[str, Any]) -> None:
        self.backend: Any = None
        self.error: dict[str, str] | None = None
        try:
            self.backend = Sandbox(inner, **options).backend  # this node's process: its own registry
        except AfterburnerError as error:
            self.error = _error_payload(error)

    def ready(self) -> dict[str, Any]:
        return {"error": self.error, "node_id": ray.get_runtime_context().get_node_id()}

    def run(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        if self.backend is None:
            return {"error": self.error}
        try:
            if kind == "execute":
                report = self.backend.execute(ExecutionRequest.model_validate(payload))
            else:
                report = self.backend.run_problem(ProblemRunRequest.model_validate(payload))
        except AfterburnerError as error:
            return {"error": _error_payload(error)}
        return {"report": report.model_dump(mode="json"), "inner_backend": self.backend.name}


def _error_payload(error: AfterburnerError) -> dict[str, str]:
    return {"type": type(error).__name__, "message": str(error)}


def _raise_payload(payload: dict[str, str]) -> None:
    """Raise the inner backend's error again, as the same `afterburner_core.errors` class when known."""
    cls = getattr(errors, payload.get("type", ""), None)
    if not (isinstance(cls, type) and issubclass(cls, AfterburnerError)):
        cls = AfterburnerError
    raise cls(payload.get("message", "the inner backend failed"))


def _one_line(error: BaseException) -> str:
    """The first line of an error; for an exception raised inside an actor, of its original cause."""
    if isinstance(error, RayTaskError) and error.cause is not None:
        cause = error.cause
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
        return f"{type(cause).__name__}: {first}" if first else type(cause).__name__
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@dataclass
class _Actor:
    handle: Any
    node_id: str
    node: str


class RayBackend:
    """Runs requests on Ray actors, each wrapping an inner backend with the same report shape.

    ``address``: a Ray cluster (``ray://...``, ``HOST:PORT``, ``auto``); ``None`` connects to
    ``RAY_ADDRESS`` when set and otherwise starts a private local instance (shut down by `close`).
    A Ray already initialised in this process is used as is. ``actors_per_node`` overrides the
    ``CPUs - 1`` rule; ``parallel`` caps the total number of actors (spread over the nodes).
    ``inner_options`` go to the inner backend's factory on every actor. `registry` names the inner
    backend on the driver; each actor builds it from its own process's registry (what is installed
    on its node, plus ``AFTERBURNER_LOAD_PLUGINS`` there): a plugin registered in-process on the
    driver does not reach the actors.
    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        inner: str = "local",
        actors_per_node: int | None = None,
        parallel: int | None = None,
        registry: Registry | None = None,
        **inner_options: Any,
    ) -> None:
        if actors_per_node is not None and actors_per_node < 1:
            raise AfterburnerError("actors_per_node must be at least 1")
        if parallel is not None and parallel < 1:
            raise AfterburnerError("parallel must be at least 1")
        _check_inner(inner, registry or get_registry())
        self.inner = inner
        self.inner_options = dict(inner_options)
        self._started_ray = _connect(address)
        self._remote = ray.remote(_Worker)
        self._lock = threading.Condition()
        self._idle: collections.deque[_Actor] = collections.deque()
        self._live = 0
        self._closed = False
        try:
            plan = _plan_actors(actors_per_node, parallel)
            actors = self._start(plan)
        except BaseException:
            self._shutdown_ray()
            raise
        self._idle.extend(actors)
        self._live = len(actors)
        self.nodes: dict[str, int] = dict(collections.Counter(actor.node for actor in actors))  # actors per node

    @property
    def parallel(self) -> int:
        """The live actors (at least 1: requests wait for a replacement rather than fail)."""
        return max(1, self._live)

    @property
    def cores(self) -> tuple[int, ...]:
        """No cores of this host: the actors pin their own."""
        return ()

    # ------------------------------------------------------------------ public API
    def execute(self, request: ExecutionRequest) -> RunReport:
        return self._dispatch("execute", request.model_dump(mode="json"))

    def run_problem(self, request: ProblemRunRequest) -> RunReport:
        return self._dispatch("run_problem", request.model_dump(mode="json"))

    def close(self) -> None:
        """Kill this backend's actors, and shut Ray down if this backend started it."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            actors = list(self._idle)
            self._idle.clear()
            self._live = 0
            self._lock.notify_all()
        for actor in actors:
            _kill(actor)
        self._shutdown_ray()

    # ------------------------------------------------------------------ dispatch
    def _dispatch(self, kind: str, payload: dict[str, Any]) -> RunReport:
        actor = self._acquire()
        try:
            result = ray.get(actor.handle.run.remote(kind, payload))
        except RayActorError as error:
            self._replace(actor)
            raise SandboxError(f"ray actor on node {actor.node} died during the job ({_one_line(error)})") from None
        except RayError as error:
            self._release(actor)
            raise SandboxError(f"ray failed running the job on node {actor.node}: {_one_line(error)}") from None
        except BaseException:
            self._release(actor)
            raise
        self._release(actor)
        if result.get("error"):
            _raise_payload(result["error"])
        report = RunReport.model_validate(result["report"])
        report.backend = self.name
        report.inner_backend = result["inner_backend"]  # type: ignore[attr-defined]
        report.node = actor.node  # type: ignore[attr-defined]
        return report

    def _acquire(self) -> _Actor:
        """An idle actor, waiting while all are busy; fails once none is left alive."""
        with self._lock:
            while not self._idle:
                if self._closed:
                    raise SandboxError("the ray backend is closed")
                if self._live == 0:
                    raise SandboxError("no ray actors are left alive (their nodes are gone)")
                self._lock.wait()
            return self._idle.popleft()

    def _release(self, actor: _Actor) -> None:
        with self._lock:
            if self._closed:
                _kill(actor)
                return
            self._idle.append(actor)
            self._lock.notify()

    def _replace(self, dead: _Actor) -> None:
        """Start a new actor on the dead one's node; if that fails the pool shrinks by one."""
        _kill(dead)
        fresh: _Actor | None = None
        if dead.node_id in _alive_nodes():
            try:
                fresh = self._start([(dead.node_id, dead.node)])[0]
            except AfterburnerError:
                fresh = None
        with self._lock:
            if fresh is not None and not self._closed:
                self._idle.append(fresh)
            else:
                self._live -= 1
                if fresh is not None:
                    _kill(fresh)
            self._lock.notify_all()

    # ------------------------------------------------------------------ actors
    def _start(self, plan: list[tuple[str, str]]) -> list[_Actor]:
        """Create one actor per (node id, node address) and wait until each has its inner backend."""
        # Each actor runs one job at a time (parallel=1); the inner backend's CorePool picks any free
        # measuring core of the node by inter-process locks, so a node's actors measure on
        # distinct cores.
        actors = []
        for node_id, node in plan:
            options = {**self.inner_options, "parallel": 1}
            handle = self._remote.options(
                num_cpus=1,
                scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=node_id, soft=False),
            ).remote(self.inner, options)
            actors.append(_Actor(handle, node_id, node))
        try:
            ready = ray.get([actor.handle.ready.remote() for actor in actors], timeout=ACTOR_START_TIMEOUT_S)
        except GetTimeoutError:
            for actor in actors:
                _kill(actor)
            raise SandboxError(
                f"{len(actors)} ray actor(s) did not start within {ACTOR_START_TIMEOUT_S:g} s "
                "(does every node have a free CPU per actor?)"
            ) from None
        except RayError as error:
            for actor in actors:
                _kill(actor)
            raise SandboxError(f"ray actors failed to start: {_one_line(error)}") from None
        for state in ready:
            if state["error"]:
                for actor in actors:
                    _kill(actor)
                _raise_payload(state["error"])
        return actors

    def _shutdown_ray(self) -> None:
        if self._started_ray and ray.is_initialized():
            ray.shutdown()
        self._started_ray = False


def _check_inner(inner: str, registry: Registry) -> None:
    """Name an unknown inner backend on the driver, before any actor is started."""
    names = set(registry.backends)
    if inner == RayBackend.name:
        raise AfterburnerError("the ray backend cannot wrap itself: choose inner='local' or another backend")
    if inner not in names:
        installed = ", ".join(sorted(names - {RayBackend.name}))
        raise AfterburnerError(f"unknown inner backend {inner!r} for the ray backend (installed: {installed})")


def _connect(address: str | None) -> bool:
    """Connect to Ray quietly; True when this call started a local instance (ours to shut down)."""
    if ray.is_initialized():
        return False
    target = address or os.environ.get("RAY_ADDRESS") or "local"
    try:
        ray.init(
            address=target,
            include_dashboard=False if target == "local" else None,
            log_to_driver=False,
            logging_level=logging.ERROR,
        )
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise SandboxError(f"cannot connect to Ray at {target!r}: {_one_line(error)}") from None
    return target == "local"


def _alive_nodes() -> dict[str, dict[str, Any]]:
    return {node["NodeID"]: node for node in ray.nodes() if node.get("Alive")}


def _plan_actors(actors_per_node: int | None, parallel: int | None) -> list[tuple[str, str]]:
    """(node id, node address) per actor: ``CPUs - 1`` per node (at least 1), nodes interleaved so
    that a ``parallel`` cap spreads actors over nodes rather than filling the first one."""
    per_node: list[list[tuple[str, str]]] = []
    for node_id, node in sorted(_alive_nodes().items(), key=lambda item: item[1].get("NodeManagerAddress", "")):
        cpus = int(node.get("Resources", {}).get("CPU", 0))
        if cpus < 1:
            continue  # a node without CPUs to give (a head kept for coordination only)
        count = actors_per_node if actors_per_node is not None else max(1, cpus - 1)
        per_node.append([(node_id, node.get("NodeManagerAddress", node_id))] * count)
    plan = [slot for column in _interleave(per_node) for slot in column]
    if parallel is not None:
        plan = plan[:parallel]
    if not plan:
        raise SandboxError("the Ray cluster has no alive node with a CPU to run jobs on")
    return plan


def _interleave(rows: list[list[tuple[str, str]]]) -> list[list[tuple[str, str]]]:
    longest = max((len(row) for row in rows), default=0)
    return [[row[i] for row in rows if i < len(row)] for i in range(longest)]


def _kill(actor: _Actor) -> None:
    with contextlib.suppress(RayError, ValueError):  # already gone
        ray.kill(actor.handle)
