"""Generator plugins: where completions come from (a local model, or an OpenAI-compatible server).

``get_generator("transformers:./my-model")``, ``get_generator("transformers:Qwen/Qwen2.5-0.5B-Instruct")``
or ``get_generator("openai:my-served-model", base_url="http://127.0.0.1:8000/v1")`` return an object
with ``generate(batch_of_messages, n=1, temperature=..., max_new_tokens=..., seed=None)``.
"""

from __future__ import annotations

from typing import Any

from afterburner_core.errors import AfterburnerError
from afterburner_core.generators.base import (
    DEFAULT_MAX_NEW_TOKENS,
    DEFAULT_TEMPERATURE,
    Generator,
    GeneratorInfo,
    Messages,
    render_plain,
)
from afterburner_core.plugins import get_registry
from afterburner_core.registry import Registry


def available_generators(registry: Registry | None = None) -> dict[str, GeneratorInfo]:
    """Installed generator plugins by name (the built-ins plus any third-party ones)."""
    return (registry or get_registry()).generators.as_dict()


def get_generator(spec: str, *, registry: Registry | None = None, **options: Any) -> Generator:
    """A generator from ``KIND:TARGET`` (``transformers:PATH_OR_HUB_ID``, ``openai:MODEL``)."""
    kind, sep, target = spec.partition(":")
    known = available_generators(registry)
    if not sep or not target.strip():
        raise AfterburnerError(
            f"model spec {spec!r} must look like KIND:TARGET, e.g. transformers:PATH_OR_HUB_ID "
            f"or openai:MODEL (kinds: {', '.join(sorted(known))})"
        )
    if kind not in known:
        raise AfterburnerError(f"unknown generator {kind!r} in {spec!r} (installed: {', '.join(sorted(known))})")
    return known[kind].create(target.strip(), **options)


__all__ = [
    "DEFAULT_MAX_NEW_TOKENS",
    "DEFAULT_TEMPERATURE",
    "Generator",
    "GeneratorInfo",
    "Messages",
    "available_generators",
    "get_generator",
    "render_plain",
]
