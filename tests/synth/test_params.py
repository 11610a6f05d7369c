import pytest

from rmfer.synth.params import SynthParameterError, SynthParams
from tests.conftest import tiny_synth_params


def test_project_parameters_are_valid():
    params = SynthParams.from_dict(tiny_synth_params())
    assert params.benchmark.classes[0] == "Neutral"
    assert params.videos.reactors_max <= 9


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("videos", "count", -1, r"synth\.videos\.count = -1 .*>= 1"),
        ("benchmark", "per_class_train", -5, r"synth\.benchmark\.per_class_train = -5"),
        ("videos", "reactors_max", 12, r"synth\.videos\.reactors_max = 12 .*to 9"),
        ("videos", "fps", 2.5, r"synth\.videos\.fps = 2\.5 .*integer"),
        ("benchmark", "annotation_noise", 1.5, r"annotation_noise = 1\.5 .*\[0\.0, 1\.0\]"),
    ],
)
def test_bad_values_name_the_parameter_and_the_allowed_values(section, key, value, expected):
    params = tiny_synth_params()
    params[section][key] = value
    with pytest.raises(SynthParameterError, match=expected):
        SynthParams.from_dict(params)


def test_unknown_expression_name_lists_allowed_names():
    params = tiny_synth_params()
    params["benchmark"]["classes"] = ["Neutral", "Joyful"]
    with pytest.raises(SynthParameterError, match=r"'Joyful'.*Neutral.*Happiness.*Anger"):
        SynthParams.from_dict(params)


def test_contempt_is_refused_because_rafdb_has_none():
    params = tiny_synth_params()
    params["benchmark"]["classes"] = ["Neutral", "Contempt"]
    with pytest.raises(SynthParameterError, match="Contempt"):
        SynthParams.from_dict(params)


def test_unknown_key_is_named():
    params = tiny_synth_params()
    params["videos"]["reactor_count"] = 3
    with pytest.raises(SynthParameterError, match=r"synth\.videos\.reactor_count"):
        SynthParams.from_dict(params)


def test_disabled_environment_explains_itself():
    with pytest.raises(SynthParameterError, match="base environment"):
        SynthParams.from_dict({"disabled": "run it in the base environment"})
