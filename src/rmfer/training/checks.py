"""Checks of a parameter block shared by ial and acl: every key present, each value in range.

Every error names the key as written in the YAML (`ial.lr`, `acl.mining_quality.iou`) and what
is allowed, so a typo is fixed without reading code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def require_keys(
    params: dict[str, Any], allowed: Iterable[str], section: str, error: type[ValueError]
) -> None:
    """Unknown keys first (a typo), then missing ones: each run's values stay visible in YAML."""
    allowed = set(allowed)
    unknown = sorted(set(params) - allowed)
    missing = sorted(allowed - set(params))
    if unknown:
        raise error(f"unknown parameters {[f'{section}.{k}' for k in unknown]}")
    if missing:
        raise error(f"parameters {section} lack {missing}")


class Checker:
    """Range checks on the fields of a parameter dataclass; dotted keys reach nested blocks."""

    def __init__(self, params: object, section: str, error: type[ValueError]) -> None:
        self.params, self.section, self.error = params, section, error

    def value(self, key: str) -> Any:
        value: Any = self.params
        for part in key.split("."):
            value = getattr(value, part)
        return value

    def require(self, ok: bool, key: str, allowed: str) -> None:
        if not ok:
            raise self.error(
                f"parameter {self.section}.{key} = {self.value(key)!r} is invalid; "
                f"allowed: {allowed}"
            )

    def integer(self, key: str, low: int, optional: bool = False) -> None:
        value = self.value(key)
        ok = (optional and value is None) or (
            isinstance(value, int) and not isinstance(value, bool) and value >= low
        )
        self.require(ok, key, f"an integer >= {low}" + (" or null" if optional else ""))

    def number(self, key: str, low: float, high: float, optional: bool = False) -> None:
        value = self.value(key)
        ok = (optional and value is None) or (
            isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high
        )
        self.require(ok, key, f"a number in [{low}, {high}]" + (" or null" if optional else ""))

    def flag(self, key: str) -> None:
        self.require(isinstance(self.value(key), bool), key, "true or false")

    def choice(self, key: str, allowed: tuple[str, ...]) -> None:
        self.require(self.value(key) in allowed, key, str(allowed))

    def device(self, key: str = "device") -> None:
        value = self.value(key)
        ok = value in ("auto", "cpu") or str(value).startswith("cuda")
        self.require(ok, key, "auto, cpu, cuda or cuda:N")
