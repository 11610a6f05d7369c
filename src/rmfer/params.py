"""The one parameter checker every stage uses.

One rule: every key is required. Defaults live in `conf/base/parameters_<pipeline>.yml`, never in
code, so each value a run used is visible in YAML and cannot drift between two places. A stage's
parameters are a frozen dataclass without defaults; `parse` builds it from the YAML block,
recursing into nested dataclasses, and rejects unknown keys (a typo) before missing ones. Range
checks then go through `Checker`, which names the key as written in the YAML (`ial.lr`,
`facetrack.detector.in_flight`) and what is allowed, so a typo is fixed without reading code.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, TypeVar

from rmfer.errors import ParameterError

T = TypeVar("T")


def require_keys(params: dict[str, Any], allowed: typing.Iterable[str], section: str) -> None:
    """Unknown keys first (a typo), then missing ones."""
    if not isinstance(params, dict):
        raise ParameterError(f"parameters {section} must be a mapping, got {params!r}")
    allowed = set(allowed)
    unknown = sorted(set(params) - allowed)
    missing = sorted(allowed - set(params))
    if unknown:
        raise ParameterError(
            f"unknown parameters {[f'{section}.{k}' for k in unknown]}; "
            f"known keys of {section}: {sorted(allowed)}"
        )
    if missing:
        raise ParameterError(f"parameters {section} lack {missing}")


def _dataclass_of(hint: Any) -> type | None:
    """The dataclass a field holds (also through `X | None`), else None."""
    if dataclasses.is_dataclass(hint):
        return hint
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(inner) == 1 and dataclasses.is_dataclass(inner[0]):
            return inner[0]
    return None


def parse(cls: type[T], params: dict[str, Any], section: str) -> T:
    """Build the dataclass `cls` from a YAML block: every field required, nothing unknown.

    Nested dataclass fields are built from nested blocks (`section.key`); a nested block that
    may be null stays None. Values are not range-checked here: that is `Checker`'s job.
    """
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    require_keys(params, fields, section)
    hints = typing.get_type_hints(cls)
    values = {}
    for name, value in params.items():
        nested = _dataclass_of(hints[name])
        if nested is not None and value is not None:
            value = parse(nested, value, f"{section}.{name}")
        values[name] = value
    return cls(**values)


class Checker:
    """Range checks on the fields of a parameter dataclass; dotted keys reach nested blocks."""

    def __init__(self, params: object, section: str) -> None:
        self.params, self.section = params, section

    def value(self, key: str) -> Any:
        value: Any = self.params
        for part in key.split("."):
            value = getattr(value, part)
        return value

    def require(self, ok: bool, key: str, allowed: str) -> None:
        if not ok:
            raise ParameterError(
                f"parameter {self.section}.{key} = {self.value(key)!r} is invalid; "
                f"allowed: {allowed}"
            )

    def integer(self, key: str, low: int, high: int | None = None, optional: bool = False) -> None:
        value = self.value(key)
        ok = (optional and value is None) or (
            isinstance(value, int)
            and not isinstance(value, bool)
            and value >= low
            and (high is None or value <= high)
        )
        upper = "" if high is None else f" and <= {high}"
        self.require(ok, key, f"an integer >= {low}{upper}" + (" or null" if optional else ""))

    def number(self, key: str, low: float, high: float, optional: bool = False) -> None:
        """A number in [low, high]; use `positive` for an open lower bound."""
        value = self.value(key)
        ok = (optional and value is None) or (
            isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high
        )
        self.require(ok, key, f"a number in [{low}, {high}]" + (" or null" if optional else ""))

    def positive(self, key: str, high: float = float("inf"), optional: bool = False) -> None:
        """A number in (0, high]."""
        value = self.value(key)
        ok = (optional and value is None) or (
            isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= high
        )
        self.require(ok, key, f"a number in (0, {high}]" + (" or null" if optional else ""))

    def flag(self, key: str) -> None:
        self.require(isinstance(self.value(key), bool), key, "true or false")

    def choice(self, key: str, allowed: tuple[Any, ...]) -> None:
        self.require(self.value(key) in allowed, key, str(allowed))

    def text(self, key: str, optional: bool = False) -> None:
        value = self.value(key)
        ok = (optional and value is None) or (isinstance(value, str) and bool(value))
        self.require(ok, key, "a non-empty string" + (" or null" if optional else ""))

    def device(self, key: str = "device") -> None:
        value = self.value(key)
        ok = value in ("auto", "cpu") or str(value).startswith("cuda")
        self.require(ok, key, "auto, cpu, cuda or cuda:N")
