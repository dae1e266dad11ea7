"""Language-free helpers for the plugins' runner generators: naming and per-type dispatch.

Each plugin writes its own code, but the decisions that must agree across languages live here: how
a LeetCode name becomes a Rust/Go name, which helper each type needs (elements before containers,
each once), and which value the runner prints. A generator supplies one function per kind of type
and gets back the helper definitions in dependency order.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from afterburner_core.leetcode.signature import AnySignature, Param
from afterburner_core.leetcode.types import TypeRef

TypeEmitter = Callable[[TypeRef], str]


def snake_case(name: str) -> str:
    """``twoSum`` → ``two_sum``, ``getIPAddress`` → ``get_ip_address`` (LeetCode's Rust names)."""
    words = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", words).lower()


def per_type(signature: AnySignature, scalar: TypeEmitter, container: TypeEmitter, structure: TypeEmitter) -> str:
    """The helpers of every type the runner reads or prints, elements before their containers."""
    parts = []
    for type_ in signature.types():
        if type_.is_container:
            parts.append(container(type_))
        elif type_.is_structure:
            parts.append(structure(type_))
        else:
            parts.append(scalar(type_))
    return "\n".join(part for part in parts if part)


def argument_names(params: tuple[Param, ...], prefix: str = "arg") -> list[str]:
    """Runner-local names of the arguments (never the problem's own names, which may be keywords)."""
    return [f"{prefix}{index}" for index in range(len(params))]


def read_arguments(
    params: tuple[Param, ...], prefix: str, indent: str, *, open_list: str, declare: str, next_item: str
) -> tuple[list[str], list[str]]:
    """Statements that read one JSON argument list (``[a, b]``, as a design call's) into fresh locals,
    and the locals' names: open the list, then each value followed by its separator. `declare` is
    the language's declaration with ``{name}`` and ``{key}`` (the type's helper suffix)."""
    names = argument_names(params, prefix)
    lines = [indent + open_list]
    for name, param in zip(names, params, strict=True):
        lines += [indent + declare.format(name=name, key=param.type.key), indent + next_item]
    return lines, names


def exported_name(name: str) -> str:
    """``get`` → ``Get``: LeetCode's Go spelling of a design method (exported, capitalised)."""
    return name[:1].upper() + name[1:]
