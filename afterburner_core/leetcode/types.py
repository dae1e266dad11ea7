"""LeetCode's language-neutral type names (``integer[]``, ``list<list<string>>``, ``TreeNode``) as values.

LeetCode's ``metaData`` spells every parameter and return type in one small vocabulary; parsing it
once, here, is what lets each language plugin generate a runner without re-reading type strings.
A `TypeRef` is a base (a scalar, ``ListNode``/``TreeNode`` or ``void``) wrapped in up to two
containers (``array`` for ``T[]``, ``list`` for ``list<T>``): the two containers mean the same JSON
but different native types in Java (``int[]`` vs ``List<Integer>``), so the distinction is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Container = Literal["array", "list"]

SCALARS = ("integer", "long", "double", "boolean", "string", "character")
STRUCTURES = ("ListNode", "TreeNode")
MAX_CONTAINER_DEPTH = 2

# lower-cased spellings seen in LeetCode metadata (and common variants) -> canonical base name
_BASE_NAMES = {
    "integer": "integer",
    "int": "integer",
    "long": "long",
    "double": "double",
    "float": "double",
    "boolean": "boolean",
    "bool": "boolean",
    "string": "string",
    "str": "string",
    "character": "character",
    "char": "character",
    "listnode": "ListNode",
    "treenode": "TreeNode",
    "void": "void",
}
_LIST = re.compile(r"^list\s*<\s*(.+)\s*>$", re.IGNORECASE)


class TypeSyntaxError(ValueError):
    """A type string outside the supported vocabulary (the message says which part and why)."""


@dataclass(frozen=True)
class TypeRef:
    """A parsed LeetCode type: `base` inside `containers` (outermost first)."""

    base: str
    containers: tuple[Container, ...] = ()

    @property
    def is_void(self) -> bool:
        return self.base == "void"

    @property
    def is_container(self) -> bool:
        return bool(self.containers)

    @property
    def is_scalar(self) -> bool:
        return not self.containers and self.base in SCALARS

    @property
    def is_structure(self) -> bool:
        """A bare ListNode or TreeNode (a container of them is a container)."""
        return not self.containers and self.base in STRUCTURES

    @property
    def container(self) -> Container | None:
        return self.containers[0] if self.containers else None

    @property
    def element(self) -> TypeRef:
        """The type inside the outermost container."""
        if not self.containers:
            raise TypeError(f"{self} is not a container")
        return TypeRef(self.base, self.containers[1:])

    @property
    def key(self) -> str:
        """An identifier-safe name, unique per type: generators name their helper functions with it."""
        return "_".join([self.base.lower(), *("arr" if c == "array" else "list" for c in reversed(self.containers))])

    def __str__(self) -> str:
        text = self.base
        for container in reversed(self.containers):
            text = f"{text}[]" if container == "array" else f"list<{text}>"
        return text


def parse_type(text: str) -> TypeRef:
    """``"list<integer[]>"`` → TypeRef("integer", ("list", "array")); raises TypeSyntaxError."""
    if not isinstance(text, str) or not text.strip():
        raise TypeSyntaxError(f"a type must be a non-empty string, not {text!r}")
    original = text
    containers, text = _unwrap(text)
    base = _BASE_NAMES.get(text.lower())
    if base is None:
        raise TypeSyntaxError(
            f"unsupported type {original!r}: {text!r} is not one of {', '.join((*SCALARS, *STRUCTURES))} (or void)"
        )
    if base == "void" and containers:
        raise TypeSyntaxError(f"unsupported type {original!r}: void cannot be a container element")
    if len(containers) > MAX_CONTAINER_DEPTH:
        raise TypeSyntaxError(
            f"unsupported type {original!r}: at most {MAX_CONTAINER_DEPTH} levels of arrays/lists are supported"
        )
    if base in STRUCTURES and len(containers) > 1:
        raise TypeSyntaxError(f"unsupported type {original!r}: {base} is supported bare or in one array/list")
    return TypeRef(base, tuple(containers))


def _unwrap(text: str) -> tuple[list[Container], str]:
    """Containers of `text` (outermost first, however ``[]`` and ``list<>`` are mixed) and the base."""
    text = text.strip()
    if text.endswith("[]"):
        inner, base = _unwrap(text[:-2])
        return ["array", *inner], base
    match = _LIST.match(text)
    if match:
        inner, base = _unwrap(match.group(1))
        return ["list", *inner], base
    return [], text
