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


def _transformers_factory(target: str, **options: Any) -> Generator:
    from afterburner_core.generators.hf import TransformersGenerator

    return TransformersGenerator(target, **options)


def _openai_factory(target: str, **options: Any) -> Generator:
    from afterburner_core.generators.openai_compat import OpenAIGenerator

    return OpenAIGenerator(target, **options)


BUILTIN_GENERATORS = (
    GeneratorInfo("transformers", "a local model directory or hub id, through transformers (cuda+bf16 when present)",
                  _transformers_factory),
    GeneratorInfo("openai", "an OpenAI-compatible chat-completions server (vLLM, SGLang, TGI, OpenAI); "
                  "OPENAI_BASE_URL / OPENAI_API_KEY", _openai_factory),
)


def available_generators() -> dict[str, GeneratorInfo]:
    """Installed generator plugins by name (the built-ins plus any third-party ones)."""
    from afterburner_core.plugins import get_manager

    return {info.name: info for infos in get_manager().hook.afterburner_generators() for info in infos}


def get_generator(spec: str, **options: Any) -> Generator:
    """A generator from ``KIND:TARGET`` (``transformers:PATH_OR_HUB_ID``, ``openai:MODEL``)."""
    kind, sep, target = spec.partition(":")
    known = available_generators()
    if not sep or not target.strip():
        raise AfterburnerError(f"model spec {spec!r} must look like KIND:TARGET, e.g. transformers:PATH_OR_HUB_ID "
                               f"or openai:MODEL (kinds: {', '.join(sorted(known))})")
    if kind not in known:
        raise AfterburnerError(f"unknown generator {kind!r} in {spec!r} (installed: {', '.join(sorted(known))})")
    return known[kind].create(target.strip(), **options)


__all__ = [
    "BUILTIN_GENERATORS",
    "DEFAULT_MAX_NEW_TOKENS",
    "DEFAULT_TEMPERATURE",
    "Generator",
    "GeneratorInfo",
    "Messages",
    "available_generators",
    "get_generator",
    "render_plain",
]
