"""Plugins that ship inside the core distribution: the `local` backend, the bundled dataset and the
built-in rewards. They are registered exactly like third-party plugins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from afterburner_core.hookspecs import hookimpl


@dataclass(frozen=True)
class BackendInfo:
    name: str
    description: str
    factory: Any

    def create(self, **options: Any) -> Any:
        return self.factory(**options)


class LocalBackendPlugin:
    """The embedded default: plain processes under the C supervisor, no daemon."""

    @hookimpl
    def afterburner_backends(self) -> list[BackendInfo]:
        from afterburner_core.sandbox.engine import Engine

        return [BackendInfo("local", "processes on this host: cgroups + netns as root, pinned cores", Engine)]


class DockerBackendPlugin:
    """Warm hardened containers of the language plugins' images (needs dockerd and the images)."""

    @hookimpl
    def afterburner_backends(self) -> list[BackendInfo]:
        return [BackendInfo("docker", "warm containers per core: no network, read-only, no caps, own uid",
                            _docker_backend)]


def _docker_backend(**options: Any) -> Any:
    """Imports the Docker SDK only when the backend is created."""
    from afterburner_core.sandbox.docker_engine import DockerEngine

    return DockerEngine(**options)


class RayBackendPlugin:
    """Jobs fanned out over a Ray cluster, one actor per measuring core, each on an inner backend."""

    @hookimpl
    def afterburner_backends(self) -> list[BackendInfo]:
        return [BackendInfo("ray", "a Ray cluster: one actor per measuring core per node, inner local/docker", _ray_backend)]


def _ray_backend(**options: Any) -> Any:
    """Imports Ray only when the backend is created, so the core works without the extra."""
    from afterburner_core.errors import AfterburnerError

    try:
        from afterburner_core.sandbox.ray_backend import RayBackend
    except ImportError as error:
        if (error.name or "").split(".")[0] != "ray":
            raise
        raise AfterburnerError("the ray backend needs Ray: pip install 'afterburner[ray]'") from None
    return RayBackend(**options)


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    description: str
    path: Any


class BundledDatasetsPlugin:
    """venus-mini: 12 LeetCode-style + 5 APPS-style problems in six languages, shipped as package data."""

    @hookimpl
    def afterburner_datasets(self) -> list[DatasetInfo]:
        from afterburner_core.datasets import DATA_DIR

        return [DatasetInfo("venus-mini", "bundled offline Venus-shaped dataset, six languages", DATA_DIR / "venus_mini")]


class BuiltinRewardsPlugin:
    """afterburner (the paper's reward, unit bug fixed), percentile (vs. humans) and speedup."""

    @hookimpl
    def afterburner_rewards(self) -> list[Any]:
        from afterburner_core.rewards.builtin import AfterburnerReward, PercentileReward, SpeedupReward

        return [AfterburnerReward(), PercentileReward(), SpeedupReward()]


class BuiltinGeneratorsPlugin:
    """transformers (a local directory or hub id) and openai (any OpenAI-compatible server)."""

    @hookimpl
    def afterburner_generators(self) -> list[Any]:
        from afterburner_core.generators import BUILTIN_GENERATORS

        return list(BUILTIN_GENERATORS)


def all_plugins() -> list[tuple[str, Any]]:
    return [
        ("local-backend", LocalBackendPlugin()),
        ("docker-backend", DockerBackendPlugin()),
        ("ray-backend", RayBackendPlugin()),
        ("bundled-datasets", BundledDatasetsPlugin()),
        ("builtin-rewards", BuiltinRewardsPlugin()),
        ("builtin-generators", BuiltinGeneratorsPlugin()),
    ]
