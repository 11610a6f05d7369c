import pytest

from rmfer.errors import ParameterError, RmferError
from rmfer.synth.params import SynthParams
from tests.conftest import tiny_synth_params


def test_project_parameters_are_valid():
    params = SynthParams.from_dict(tiny_synth_params())
    assert params.benchmark.classes[0] == "Neutral"
    assert params.videos.reactors_max <= 9
    assert params.workers == 1


def test_whole_numbers_for_float_keys_become_floats():
    params = tiny_synth_params(duration_s=30, segment_min_s=2)
    parsed = SynthParams.from_dict(params).videos
    assert isinstance(parsed.duration_s, float) and parsed.duration_s == 30.0
    assert isinstance(parsed.segment_min_s, float)


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("videos", "count", -1, r"synth\.videos\.count = -1 .*>= 1"),
        ("benchmark", "per_class_train", -5, r"synth\.benchmark\.per_class_train = -5"),
        ("videos", "reactors_max", 12, r"synth\.videos\.reactors_max = 12 .*to 9"),
        ("videos", "fps", 2.5, r"synth\.videos\.fps = 2\.5 .*integer"),
        ("benchmark", "annotation_noise", 1.5, r"annotation_noise = 1\.5 .*\[0\.0, 1\.0\]"),
        ("benchmark", "original_size", 64, r"synth\.benchmark\.original_size = 64 .*>= 100"),
        ("videos", "segment_max_s", 1.0, r"synth\.videos\.segment_max_s = 1\.0 .*\[2\.0"),
    ],
)
def test_bad_values_name_the_parameter_and_the_allowed_values(section, key, value, expected):
    params = tiny_synth_params()
    params[section][key] = value
    with pytest.raises(ParameterError, match=expected):
        SynthParams.from_dict(params)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("seed", -1, r"synth\.seed = -1"),
        ("workers", 0, r"synth\.workers = 0 .*or null"),
        ("videos_dir", "", r"synth\.videos_dir"),
    ],
)
def test_bad_top_level_values_are_named(key, value, expected):
    params = tiny_synth_params()
    params[key] = value
    with pytest.raises(ParameterError, match=expected):
        SynthParams.from_dict(params)


def test_every_key_is_required():
    """Defaults live in conf/base only: a missing key is an error, never filled in by code."""
    for section in (None, "benchmark", "videos"):
        keys = tiny_synth_params() if section is None else tiny_synth_params()[section]
        for key in keys:
            params = tiny_synth_params()
            del (params if section is None else params[section])[key]
            with pytest.raises(ParameterError, match=key):
                SynthParams.from_dict(params)


def test_unknown_expression_name_lists_allowed_names():
    params = tiny_synth_params()
    params["benchmark"]["classes"] = ["Neutral", "Joyful"]
    with pytest.raises(ParameterError, match=r"'Joyful'.*Neutral.*Happiness.*Anger"):
        SynthParams.from_dict(params)


def test_contempt_is_refused_because_rafdb_has_none():
    params = tiny_synth_params()
    params["benchmark"]["classes"] = ["Neutral", "Contempt"]
    with pytest.raises(ParameterError, match="Contempt"):
        SynthParams.from_dict(params)


def test_repeated_classes_are_refused():
    params = tiny_synth_params()
    params["benchmark"]["classes"] = ["Neutral", "Happiness", "neutral"]
    with pytest.raises(ParameterError, match="no repeats"):
        SynthParams.from_dict(params)


def test_unknown_key_is_named():
    params = tiny_synth_params()
    params["videos"]["reactor_count"] = 3
    with pytest.raises(ParameterError, match=r"synth\.videos\.reactor_count"):
        SynthParams.from_dict(params)


def test_disabled_environment_explains_itself():
    with pytest.raises(ParameterError, match="base environment") as err:
        SynthParams.from_dict({"disabled": "run it in the base environment"})
    assert isinstance(err.value, RmferError) and isinstance(err.value, ValueError)
