"""LeetCode's ``metaData`` as a validated model: a function's name, typed parameters and result
(`Signature`), or a design class's constructor and methods (`DesignSignature`).

This is the boundary where a problem's language-neutral description enters Afterburner (from a
dataset row, the importer or a test); past it, every generator and the evaluator work on checked
`TypeRef`s, so a malformed row fails once, here, with one line naming the field, instead of as a
compiler error in six languages.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationError, model_validator

from afterburner_core.errors import DatasetError
from afterburner_core.leetcode.types import TypeRef, TypeSyntaxError, parse_type

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SignatureError(DatasetError):
    """Metadata that cannot describe a runnable LeetCode function (one line: what and where)."""


def _type(value: Any) -> TypeRef:
    if isinstance(value, TypeRef):
        return value
    try:
        return parse_type(value)
    except TypeSyntaxError as exc:
        raise ValueError(str(exc)) from None


LeetCodeType = Annotated[TypeRef, BeforeValidator(_type), PlainSerializer(str, return_type=str)]


def _identifier(value: Any) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise ValueError(f"{value!r} is not a usable identifier")
    return value


Identifier = Annotated[str, BeforeValidator(_identifier)]


class Param(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    name: Identifier
    type: LeetCodeType

    @model_validator(mode="after")
    def _not_void(self) -> Param:
        if self.type.is_void:
            raise ValueError(f"parameter {self.name!r} cannot be void")
        return self


class ReturnSpec(BaseModel):
    """LeetCode's ``return`` object; its other keys (``size``, ``dealloc``, ...) are C details, kept."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: LeetCodeType


class OutputSpec(BaseModel):
    """``"output": {"paramindex": i}``: a void function's answer is parameter i after the call."""

    model_config = ConfigDict(extra="allow", frozen=True)

    paramindex: int = Field(ge=0)


class Comparison(BaseModel):
    """How the evaluator compares answers (an Afterburner extension: LeetCode keeps this server-side).

    `unordered`: ``outer`` ignores the order of the answer's top-level list (e.g. "return the
    triplets in any order"), ``all`` ignores the order at every list level (e.g. groups of anagrams,
    each group in any order); `float_tolerance`: absolute and relative tolerance for doubles.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    unordered: Literal["none", "outer", "all"] = "none"
    float_tolerance: float = Field(1e-5, ge=0)


class _SignatureBase(BaseModel):
    """What function and design signatures share: the types a runner handles, and cache keys."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    compare: Comparison = Field(default_factory=Comparison)

    def _type_roots(self) -> list[TypeRef]:
        raise NotImplementedError

    def types(self) -> list[TypeRef]:
        """Every type the runner reads or prints, elements before their containers, each once."""
        ordered: list[TypeRef] = []
        for root in self._type_roots():
            chain = [root]
            while chain[-1].is_container:
                chain.append(chain[-1].element)
            for item in reversed(chain):
                if not item.is_void and item not in ordered:
                    ordered.append(item)
        return ordered

    def structures(self) -> set[str]:
        """Which of ListNode / TreeNode the runner must define."""
        return {t.base for t in self.types() if t.base in ("ListNode", "TreeNode")}

    def metadata_json(self) -> str:
        """Canonical JSON text of the metadata (cache keys, rows)."""
        return json.dumps(self.model_dump(mode="json", by_alias=True, exclude_defaults=False), sort_keys=True)


class Signature(_SignatureBase):
    """A LeetCode function problem: ``{"name", "params", "return", "output"?}`` plus `compare`."""

    name: Identifier
    params: tuple[Param, ...] = ()
    returns: ReturnSpec = Field(alias="return")
    output: OutputSpec | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Signature:
        _unique_names(self.params)
        if self.output is not None:
            if self.output.paramindex >= len(self.params):
                raise ValueError(
                    f"output.paramindex {self.output.paramindex} is out of range ({len(self.params)} parameters)"
                )
            if not self.returns.type.is_void:
                raise ValueError("output.paramindex is only meaningful with a void return")
            modified = self.params[self.output.paramindex].type
            if modified.is_scalar:
                raise ValueError(
                    f"output parameter {self.params[self.output.paramindex].name!r} has the scalar type {modified}, "
                    "which cannot be modified in place"
                )
        elif self.returns.type.is_void:
            raise ValueError('a void function needs "output": {"paramindex": i} naming the parameter it modifies')
        return self

    @property
    def result_type(self) -> TypeRef:
        """The type of what the runner prints: the return value, or the modified parameter."""
        if self.output is not None:
            return self.params[self.output.paramindex].type
        return self.returns.type

    @property
    def in_place_index(self) -> int | None:
        return self.output.paramindex if self.output is not None else None

    def _type_roots(self) -> list[TypeRef]:
        return [*(p.type for p in self.params), self.result_type]


def _unique_names(params: tuple[Param, ...]) -> None:
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise ValueError(f"parameter names repeat: {names}")


class Constructor(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    params: tuple[Param, ...] = ()

    @model_validator(mode="after")
    def _names(self) -> Constructor:
        _unique_names(self.params)
        return self


class Method(BaseModel):
    """One method of a design class; a void method's answer is ``null``."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    name: Identifier
    params: tuple[Param, ...] = ()
    returns: ReturnSpec = Field(alias="return")

    @model_validator(mode="after")
    def _names(self) -> Method:
        _unique_names(self.params)
        return self


class DesignSignature(_SignatureBase):
    """A LeetCode design problem (``"systemdesign": true``): a class, its constructor and methods.

    A test is two lines — the call names (``["LRUCache","put","get"]``, the constructor first) and
    their argument lists (``[[2],[1,1],[1]]``) — and the answer is one JSON value per call
    (``null`` for the constructor and void methods).
    """

    classname: Identifier
    constructor: Constructor = Field(default_factory=Constructor)
    methods: tuple[Method, ...]

    @model_validator(mode="after")
    def _consistent(self) -> DesignSignature:
        names = [m.name for m in self.methods]
        if not names:
            raise ValueError("a design class needs at least one method")
        if len(set(names)) != len(names):
            raise ValueError(f"method names repeat (overloads are not supported): {names}")
        if self.classname in names:
            raise ValueError(f"a method cannot be named like the class {self.classname!r}")
        return self

    def method(self, name: str) -> Method | None:
        return next((m for m in self.methods if m.name == name), None)

    def _type_roots(self) -> list[TypeRef]:
        roots = [parse_type("string[]")]  # the first line of a test: the call names
        roots += [p.type for p in self.constructor.params]
        for method in self.methods:
            roots += [*(p.type for p in method.params), method.returns.type]
        return roots


AnySignature = Signature | DesignSignature


def parse_signature(metadata: Any, where: str = "metadata") -> AnySignature:
    """LeetCode ``metaData`` (a dict or its JSON text) → Signature, or DesignSignature for a design
    class (``classname`` / ``systemdesign``); a one-line SignatureError otherwise."""
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except json.JSONDecodeError as exc:
            raise SignatureError(f"{where} is not valid JSON: {exc}") from None
    if not isinstance(metadata, dict):
        raise SignatureError(
            f'{where} must be a JSON object like {{"name": ..., "params": [...], '
            f'"return": {{"type": ...}}}}, not {type(metadata).__name__}'
        )
    model = DesignSignature if metadata.get("systemdesign") or "classname" in metadata else Signature
    try:
        return model.model_validate(metadata)
    except ValidationError as exc:
        raise SignatureError(f"{where}: {_first_error(exc)}") from None


def _first_error(exc: ValidationError) -> str:
    item = exc.errors()[0]
    location = ".".join(str(part) for part in item.get("loc", ()))
    message = str(item.get("msg", "")).removeprefix("Value error, ")
    return f"{location}: {message}" if location else message
