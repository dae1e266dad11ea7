"""The ``openai`` generator: any OpenAI-compatible ``/chat/completions`` server, over httpx.

Works with vLLM, SGLang, TGI and the OpenAI API alike (no ``openai`` package needed). The base URL
and key come from the options or ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``. Rate limits (429),
server errors (5xx), dropped connections and timeouts are retried with exponential backoff
(honouring ``Retry-After``); other 4xx answers fail at once with the server's message. Requests of a
batch go out concurrently. Servers that return fewer than ``n`` choices are asked again for the rest.
"""

from __future__ import annotations

import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from afterburner_core.errors import AfterburnerError
from afterburner_core.generators.base import DEFAULT_MAX_NEW_TOKENS, DEFAULT_TEMPERATURE, Messages

DEFAULT_BASE_URL = "https://api.openai.com/v1"
RETRYABLE = {408, 409, 425, 429, 500, 502, 503, 504}


class OpenAIGenerator:
    """``openai:MODEL``. Options: base_url, api_key, timeout (s), max_retries, backoff (s), concurrency."""

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 300.0,
        max_retries: int = 6,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        concurrency: int = 8,
        extra_body: dict[str, Any] | None = None,
        **_ignored: Any,
    ) -> None:
        self.model = model
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY", "")
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.concurrency = max(1, int(concurrency))
        self.extra_body = dict(extra_body or {})
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        self.client = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0))
        )

    def close(self) -> None:
        self.client.close()

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        if response is not None:
            retry_after = response.headers.get("Retry-After")
            if retry_after:
                try:
                    return min(float(retry_after), self.max_backoff)
                except ValueError:
                    pass
        return min(self.backoff * (2**attempt), self.max_backoff) * (0.5 + random.random() / 2)

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        """One chat-completions call, retried on 429 / 5xx / transport errors / timeouts."""
        last = ""
        for attempt in range(self.max_retries + 1):
            response = None
            try:
                response = self.client.post("/chat/completions", json=body)
            except httpx.TransportError as exc:  # connection refused/reset, read/connect timeouts
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200:
                    try:
                        return response.json()
                    except ValueError:
                        last = f"invalid JSON in the answer: {response.text[:200]!r}"
                elif response.status_code in RETRYABLE:
                    last = f"HTTP {response.status_code}: {response.text[:200]}"
                else:
                    raise AfterburnerError(
                        f"{self.base_url}/chat/completions answered HTTP {response.status_code}: "
                        f"{' '.join(response.text[:300].split())}"
                    )
            if attempt < self.max_retries:
                time.sleep(self._delay(attempt, response))
        raise AfterburnerError(f"{self.base_url}/chat/completions failed after {self.max_retries + 1} attempts: {last}")

    def _one(self, messages: Messages, n: int, temperature: float, max_new_tokens: int, seed: int | None) -> list[str]:
        texts: list[str] = []
        calls = 0
        while len(texts) < n:
            body: dict[str, Any] = {
                "model": self.model,
                "messages": messages,
                "n": n - len(texts),
                "temperature": max(0.0, temperature),
                "max_tokens": max_new_tokens,
                **self.extra_body,
            }
            if seed is not None:
                body["seed"] = seed + calls
            answer = self._post(body)
            choices = sorted(answer.get("choices") or [], key=lambda c: c.get("index", 0))
            if not choices:
                raise AfterburnerError(f"{self.base_url}/chat/completions returned no choices")
            texts.extend((choice.get("message") or {}).get("content") or "" for choice in choices)
            calls += 1
        return texts[:n]

    def generate(
        self,
        batch_of_messages: list[Messages],
        n: int = 1,
        temperature: float = DEFAULT_TEMPERATURE,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        seed: int | None = None,
    ) -> list[list[str]]:
        if n < 1:
            raise AfterburnerError("n must be at least 1")
        if not batch_of_messages:
            return []

        def job(messages: Messages) -> list[str]:
            return self._one(messages, n, temperature, max_new_tokens, seed)

        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(batch_of_messages))) as pool:
            return list(pool.map(job, batch_of_messages))
