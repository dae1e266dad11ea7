"""The generator protocol: chat messages in, sampled completions out.

A generator turns a batch of chat conversations (lists of ``{"role", "content"}`` messages, as
built by `afterburner_core.prompts.build_messages`) into ``n`` completions each. Generators are
plugins (hook ``afterburner_generators``); the two built-ins are ``transformers`` (a local model
directory or a hub id) and ``openai`` (any OpenAI-compatible chat-completions server: vLLM,
SGLang, TGI, the OpenAI API). `get_generator("transformers:PATH")` / `get_generator("openai:MODEL")`
picks one by spec.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

Messages = list[dict[str, str]]

DEFAULT_TEMPERATURE = 0.7
DEFAULT_MAX_NEW_TOKENS = 1024


@runtime_checkable
class Generator(Protocol):
    """Anything with this method is a generator (the optimizer and trainers need nothing else)."""

    def generate(
        self,
        batch_of_messages: list[Messages],
        n: int = 1,
        temperature: float = DEFAULT_TEMPERATURE,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        seed: int | None = None,
    ) -> list[list[str]]:
        """``n`` completions (assistant text only) per conversation, in input order.

        ``temperature <= 0`` means greedy decoding; ``seed`` makes sampling reproducible where the
        backend allows it.
        """
        ...


@dataclass(frozen=True)
class GeneratorInfo:
    """A generator plugin's description: ``create(target, **options)`` builds one.

    ``target`` is what follows the colon in the spec (a model path, hub id or served model name).
    """

    name: str
    description: str
    factory: Callable[..., Generator]

    def create(self, target: str, **options: Any) -> Generator:
        return self.factory(target, **options)


def render_plain(messages: Messages) -> str:
    """The fallback prompt for tokenizers without a chat template ("System:/User:/Assistant:")."""
    names = {"system": "System", "user": "User", "assistant": "Assistant"}
    parts = [f"{names.get(m.get('role', 'user'), str(m.get('role')).title())}: {m.get('content', '')}" for m in messages]
    return "\n\n".join(parts) + "\n\nAssistant:"
