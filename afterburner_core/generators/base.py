"""The generator protocol: chat messages in, sampled completions out.

A generator turns a batch of chat conversations (lists of ``{"role", "content"}`` messages, as
built by `afterburner_core.prompts.build_messages`) into ``n`` completions each. Generators are
plugins (hook ``afterburner_generators``); the two built-ins are ``transformers`` (a local model
directory or a hub id) and ``openai`` (any OpenAI-compatible chat-completions server: vLLM,
SGLang, TGI, the OpenAI API). `get_generator("transformers:PATH")` / `get_generator("openai:MODEL")`
picks one by spec.
"""

from __future__ import annotations

from afterburner_core.contracts import (
    DEFAULT_MAX_NEW_TOKENS,
    DEFAULT_TEMPERATURE,
    Generator,
    GeneratorInfo,
    Messages,
)


def render_plain(messages: Messages) -> str:
    """The fallback prompt for tokenizers without a chat template ("System:/User:/Assistant:")."""
    names = {"system": "System", "user": "User", "assistant": "Assistant"}
    parts = [
        f"{names.get(m.get('role', 'user'), str(m.get('role')).title())}: {m.get('content', '')}" for m in messages
    ]
    return "\n\n".join(parts) + "\n\nAssistant:"


__all__ = ["DEFAULT_MAX_NEW_TOKENS", "DEFAULT_TEMPERATURE", "Generator", "GeneratorInfo", "Messages", "render_plain"]
