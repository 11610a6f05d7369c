"""The keys IAL and ACL share are defined and checked once, with one error type."""

from __future__ import annotations

from dataclasses import fields

import pytest

from rmfer.errors import ParameterError, RmferError
from rmfer.training.acl import AclParams
from rmfer.training.ial import IalParams
from rmfer.training.params import TrainingParams
from tests.conf import base_parameters

SHARED = {f.name for f in fields(TrainingParams)}


def test_both_stages_share_one_definition():
    assert issubclass(IalParams, TrainingParams) and issubclass(AclParams, TrainingParams)
    assert {f.name for f in fields(IalParams)} & {f.name for f in fields(AclParams)} >= SHARED
    own = {f.name for f in fields(IalParams)} & {f.name for f in fields(AclParams)} - SHARED
    assert own == {"tau"}  # a float in ial, "null = ial's" in acl


@pytest.mark.parametrize(
    ("key", "value"), [("lr", 0.0), ("lr", 11.0), ("batch_size", 1), ("optimiser", "lbfgs")]
)
@pytest.mark.parametrize(("section", "cls"), [("ial", IalParams), ("acl", AclParams)])
def test_a_shared_key_has_the_same_rule_in_both_sections(section, cls, key, value):
    params = base_parameters(section, **{key: value})
    with pytest.raises(ParameterError, match=rf"{section}\.{key} = ") as caught:
        cls.from_dict(params)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, RmferError)


@pytest.mark.parametrize(("section", "cls"), [("ial", IalParams), ("acl", AclParams)])
def test_to_dict_lists_the_keys_as_the_yaml_block_does(section, cls):
    params = base_parameters(section)
    assert list(cls.from_dict(params).to_dict()) == list(params)
    shuffled = dict(reversed(list(params.items())))
    assert list(cls.from_dict(shuffled).to_dict()) == list(shuffled)
