import numpy as np

from rmfer.synth.film import sample_film
from rmfer.synth.reactor import EVENT_KINDS, sample_events


def test_film_mixtures_are_distributions_and_blend_between_segments():
    film = sample_film(np.random.default_rng(0), 60.0, 2.0, 6.0)
    assert film.starts[0] == 0 and film.starts[-1] < 60.0
    assert np.all(np.diff(film.starts) >= 2.0 - 1e-9)
    for time_s in np.linspace(0, 60, 241):
        mixture, intensity = film.at(float(time_s))
        assert np.isclose(mixture.sum(), 1.0) and np.all(mixture >= 0)
        assert 0.0 <= intensity <= 1.0
    # Mid-hold of segment 1 is exactly its keyframe; between holds the mixture is a blend.
    hold_mid = film.starts[1] + film.holds[1] / 2
    assert np.allclose(film.at(hold_mid)[0], film.mixtures[1])
    blend_time = (film.starts[1] + film.holds[1] + film.starts[2]) / 2
    blended = film.at(blend_time)[0]
    assert np.allclose(blended, (film.mixtures[1] + film.mixtures[2]) / 2)


def test_consecutive_segments_differ():
    film = sample_film(np.random.default_rng(1), 120.0, 2.0, 4.0)
    dominants = film.mixtures.argmax(axis=1)
    assert np.all(dominants[1:] != dominants[:-1])


def test_events_are_poisson_with_one_to_three_second_durations():
    rng = np.random.default_rng(2)
    events = [e for _ in range(200) for e in sample_events(rng, 60.0, 3.0)]
    assert 500 < len(events) < 700  # 3 per minute, 200 minutes
    durations = np.array([e.end_s - e.start_s for e in events])
    assert durations.min() >= 1.0 - 1e-3 and durations.max() <= 3.0 + 1e-3
    assert {e.kind for e in events} == set(EVENT_KINDS)
