"""Runners, starter code and evaluators of typed problems, resolved through the language plugins.

A typed problem carries LeetCode's `metadata` instead of (or besides) hand-written runners. The
core never writes code in a language: it validates the signature once and asks the language's
plugin (`LanguagePlugin.leetcode_runner` / `leetcode_starter`) for the program. Results are cached
per (metadata, language), so a dataset-wide job generates each runner once.
"""

from __future__ import annotations

import functools
from typing import Literal

from afterburner_core.errors import DatasetError
from afterburner_core.languages import LanguagePlugin
from afterburner_core.leetcode.signature import AnySignature, parse_signature
from afterburner_core.models import PLACEHOLDER, Problem
from afterburner_core.plugins import get_registry

StarterBody = Literal["empty", "default"]


def problem_signature(problem: Problem) -> AnySignature | None:
    """The problem's parsed metadata, or None for a problem without any."""
    if not problem.metadata:
        return None
    return parse_signature(problem.metadata, where=f"problem {problem.problem_id}: metadata")


def _plugin(language_key: str) -> LanguagePlugin:
    return get_registry().resolve_language(language_key).plugin


@functools.lru_cache(maxsize=512)
def _runner(metadata_json: str, plugin: LanguagePlugin) -> str:
    language_key = plugin.key
    runner = plugin.leetcode_runner(parse_signature(metadata_json))
    if runner is None:
        raise DatasetError(
            f"the {language_key} plugin ({plugin.distribution or type(plugin).__name__}) cannot "
            "generate runners for LeetCode-typed problems; add a hand-written runner or upgrade it"
        )
    if runner.count(PLACEHOLDER) != 1:
        raise DatasetError(f"the {language_key} plugin generated a runner without exactly one {PLACEHOLDER} line")
    return runner


def typed_runner(problem: Problem, plugin: LanguagePlugin) -> str | None:
    """The runner `plugin` generates for a typed problem, or None if the problem is untyped."""
    signature = problem_signature(problem)
    if signature is None:
        return None
    return _runner(signature.metadata_json(), plugin)


@functools.lru_cache(maxsize=512)
def _starter(metadata_json: str, language_key: str, body: StarterBody) -> str | None:
    return _plugin(language_key).leetcode_starter(parse_signature(metadata_json), body)


def starter_code(signature: AnySignature, language_key: str, body: StarterBody = "empty") -> str | None:
    """LeetCode-style starter code (`body="empty"`), or a stub returning a default (`"default"`)."""
    return _starter(signature.metadata_json(), language_key, body)
