"""The built-in generators: transformers (a local directory or hub id) and openai (any
OpenAI-compatible server)."""

from __future__ import annotations

from typing import Any

from afterburner_core.contracts import Generator, GeneratorInfo
from afterburner_core.hookspecs import hookimpl


def _transformers(target: str, **options: Any) -> Generator:
    from afterburner_core.generators.hf import TransformersGenerator  # heavy: imports torch and transformers

    return TransformersGenerator(target, **options)


def _openai(target: str, **options: Any) -> Generator:
    from afterburner_core.generators.openai_compat import OpenAIGenerator  # optional: needs httpx

    return OpenAIGenerator(target, **options)


@hookimpl
def afterburner_generators() -> list[GeneratorInfo]:
    return [
        GeneratorInfo(
            "transformers",
            "a local model directory or hub id, through transformers (cuda+bf16 when present)",
            _transformers,
        ),
        GeneratorInfo(
            "openai",
            "an OpenAI-compatible chat-completions server (vLLM, SGLang, TGI, OpenAI); "
            "OPENAI_BASE_URL / OPENAI_API_KEY",
            _openai,
        ),
    ]
