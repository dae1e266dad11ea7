"""The built-in backends: ``local`` (the embedded default), ``docker`` and ``ray``."""

from __future__ import annotations

from typing import Any

from afterburner_core.contracts import Backend, BackendInfo
from afterburner_core.errors import AfterburnerError
from afterburner_core.hookspecs import hookimpl
from afterburner_core.sandbox.backends.docker import DockerBackend
from afterburner_core.sandbox.backends.local import LocalBackend


def _ray_backend(**options: Any) -> Backend:
    """Imports Ray when the backend is created, so that the core works without the extra."""
    try:
        from afterburner_core.sandbox.backends.ray import RayBackend  # optional: needs ray
    except ImportError as error:
        if (error.name or "").split(".")[0] != "ray":
            raise
        raise AfterburnerError("the ray backend needs Ray: pip install 'afterburner[ray]'") from None
    return RayBackend(**options)


@hookimpl
def afterburner_backends() -> list[BackendInfo]:
    return [
        BackendInfo("local", "processes on this host: cgroups + netns as root, pinned cores", LocalBackend),
        BackendInfo("docker", "warm containers per core: no network, read-only, no caps, own uid", DockerBackend),
        BackendInfo("ray", "a Ray cluster: one actor per measuring core per node, inner local/docker", _ray_backend),
    ]
