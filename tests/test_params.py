"""The one parameter checker: every key required, unknown keys named, ranges named by YAML key."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from rmfer.errors import ParameterError, RmferError
from rmfer.params import Checker, parse


@dataclass(frozen=True)
class Inner:
    size: int


@dataclass(frozen=True)
class Outer:
    name: str
    rate: float
    inner: Inner
    maybe: Inner | None


def test_parse_builds_nested_blocks() -> None:
    out = parse(Outer, {"name": "a", "rate": 0.5, "inner": {"size": 3}, "maybe": None}, "demo")
    assert out == Outer("a", 0.5, Inner(3), None)
    out = parse(Outer, {"name": "a", "rate": 0.5, "inner": {"size": 3}, "maybe": {"size": 4}}, "x")
    assert out.maybe == Inner(4)


def test_unknown_key_is_named_before_missing_ones() -> None:
    with pytest.raises(ParameterError, match=r"demo\.inner\.sise"):
        parse(Outer, {"name": "a", "rate": 1, "inner": {"sise": 3}, "maybe": None}, "demo")
    with pytest.raises(ParameterError, match=r"demo lack \['maybe', 'rate'\]"):
        parse(Outer, {"name": "a", "inner": {"size": 3}}, "demo")


def test_checker_names_key_and_range() -> None:
    out = Outer("a", 2.0, Inner(0), None)
    check = Checker(out, "demo")
    check.number("rate", 0.0, 5.0)
    with pytest.raises(ParameterError, match=r"demo\.inner\.size = 0 .*>= 1"):
        check.integer("inner.size", 1)
    with pytest.raises(ParameterError, match=r"demo\.rate = 2\.0 .*\(0, 1\.0\]"):
        check.positive("rate", 1.0)


def test_parameter_error_is_both_rmfer_and_value_error() -> None:
    assert issubclass(ParameterError, RmferError)
    assert issubclass(ParameterError, ValueError)
