"""A film as an expression timeline that every reactor of a mashup follows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rmfer.labels import CANONICAL_LABELS

NUM_EXPRESSIONS = len(CANONICAL_LABELS)

# How often the film asks for each expression; neutral stretches between the big moments.
_EXPRESSION_WEIGHTS = np.array([0.22, 0.18, 0.12, 0.14, 0.11, 0.09, 0.09, 0.05])


def random_mixture(rng: np.random.Generator, dominant: int, purity: float) -> np.ndarray:
    """A mixture over the canonical expressions where `dominant` holds `purity` of the mass."""
    mixture = np.zeros(NUM_EXPRESSIONS)
    mixture[dominant] = purity
    other = rng.choice([k for k in range(NUM_EXPRESSIONS) if k != dominant])
    mixture[other] += 1.0 - purity
    return mixture


@dataclass(frozen=True)
class Film:
    """Keyframes of (mixture, intensity); between two keyframes the expression blends linearly.

    Each segment holds its expression from `starts[i]` to `starts[i] + holds[i]`, then blends into
    the next one until `starts[i + 1]`.
    """

    starts: np.ndarray  # (S,) seconds
    holds: np.ndarray  # (S,) seconds
    mixtures: np.ndarray  # (S, 8)
    intensities: np.ndarray  # (S,)

    def at(self, time_s: float) -> tuple[np.ndarray, float]:
        """The film's expression mixture and intensity at `time_s` (clamped to the film)."""
        index = int(np.searchsorted(self.starts, time_s, side="right")) - 1
        index = min(max(index, 0), len(self.starts) - 1)
        offset = time_s - self.starts[index] - self.holds[index]
        if offset <= 0 or index == len(self.starts) - 1:
            return self.mixtures[index], float(self.intensities[index])
        span = self.starts[index + 1] - self.starts[index] - self.holds[index]
        alpha = min(offset / span, 1.0)
        mixture = (1 - alpha) * self.mixtures[index] + alpha * self.mixtures[index + 1]
        intensity = (1 - alpha) * self.intensities[index] + alpha * self.intensities[index + 1]
        return mixture, float(intensity)

    def to_dict(self) -> dict[str, list]:
        return {
            "starts": self.starts.round(4).tolist(),
            "holds": self.holds.round(4).tolist(),
            "mixtures": self.mixtures.round(4).tolist(),
            "intensities": self.intensities.round(4).tolist(),
        }


def sample_film(
    rng: np.random.Generator, duration_s: float, segment_min_s: float, segment_max_s: float
) -> Film:
    """Segments of 'segment_min_s'..'segment_max_s' seconds, most of each held, the rest a blend."""
    starts, holds, mixtures, intensities = [], [], [], []
    time_s, previous = 0.0, -1
    weights = _EXPRESSION_WEIGHTS / _EXPRESSION_WEIGHTS.sum()
    while time_s < duration_s:
        length = rng.uniform(segment_min_s, segment_max_s)
        dominant = previous
        while dominant == previous:  # consecutive segments differ, so the film moves
            dominant = int(rng.choice(NUM_EXPRESSIONS, p=weights))
        previous = dominant
        starts.append(time_s)
        holds.append(length * rng.uniform(0.6, 0.85))
        mixtures.append(random_mixture(rng, dominant, rng.uniform(0.7, 1.0)))
        intensities.append(0.0 if dominant == 0 else rng.uniform(0.55, 1.0))
        time_s += length
    return Film(
        starts=np.array(starts),
        holds=np.array(holds),
        mixtures=np.array(mixtures),
        intensities=np.array(intensities),
    )
