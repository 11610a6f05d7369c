"""A reactor: one person following the film with a lag, a gain, a resting bias and quirks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rmfer.synth.film import NUM_EXPRESSIONS, Film, random_mixture
from rmfer.synth.identity import Identity

EVENT_KINDS = ("look_away", "talking", "hand_over_mouth", "no_reaction", "own_reaction")
NEUTRAL = np.eye(NUM_EXPRESSIONS)[0]


@dataclass(frozen=True)
class Event:
    """An idiosyncratic moment from `start_s` to `end_s`; `mixture` only for own reactions."""

    kind: str
    start_s: float
    end_s: float
    mixture: tuple[float, ...] = ()


@dataclass(frozen=True)
class ReactorState:
    """What the renderer and the sidecar need at one instant."""

    mixture: np.ndarray  # effective mixture: intensity folded in, the rest neutral
    yaw: float
    pitch: float
    roll: float
    dx: float  # head shift as a fraction of the tile's face size
    dy: float
    lips_part: float  # extra mouth opening from talking
    occlusion: str | None
    looking_away: bool


@dataclass(frozen=True)
class Reactor:
    person_id: int
    identity: Identity
    lag_s: float
    gain: float
    resting: np.ndarray  # (8,) a personal resting expression
    resting_weight: float
    motion_phase: np.ndarray  # (5,) phases of the slow head motion
    motion_amplitude: float
    events: tuple[Event, ...]

    def state_at(self, film: Film, time_s: float) -> ReactorState:
        mixture, intensity = film.at(time_s - self.lag_s)
        active = {e.kind: e for e in self.events if e.start_s <= time_s < e.end_s}
        if "own_reaction" in active:
            mixture, intensity = np.array(active["own_reaction"].mixture), 0.9
        if "no_reaction" in active:
            intensity = 0.0
        intensity = min(intensity * self.gain, 1.0)
        effective = intensity * mixture + (1.0 - intensity) * NEUTRAL
        effective = (1 - self.resting_weight) * effective + self.resting_weight * self.resting
        phase, amp = self.motion_phase, self.motion_amplitude
        yaw = 12 * amp * np.sin(0.7 * time_s + phase[0])
        pitch = 6 * amp * np.sin(0.5 * time_s + phase[1])
        looking_away = "look_away" in active
        if looking_away:
            yaw += 22.0 if phase[4] > np.pi else -22.0
            pitch -= 8.0
        talking = "talking" in active
        return ReactorState(
            mixture=effective,
            yaw=float(yaw),
            pitch=float(pitch),
            roll=float(6 * amp * np.sin(0.4 * time_s + phase[2])),
            dx=float(0.04 * amp * np.sin(0.3 * time_s + phase[3])),
            dy=float(0.03 * amp * np.sin(0.35 * time_s + phase[4])),
            lips_part=float(0.5 * max(np.sin(2 * np.pi * 3.5 * time_s), 0.0)) if talking else 0.0,
            occlusion="hand_over_mouth" if "hand_over_mouth" in active else None,
            looking_away=looking_away,
        )

    def to_dict(self) -> dict:
        return {
            "person_id": self.person_id,
            "identity": self.identity.to_dict(),
            "lag_s": round(self.lag_s, 4),
            "gain": round(self.gain, 4),
            "resting": self.resting.round(4).tolist(),
            "resting_weight": round(self.resting_weight, 4),
            "events": [e.__dict__ for e in self.events],
        }


def sample_events(rng: np.random.Generator, duration_s: float, rate_per_min: float) -> list[Event]:
    """Idiosyncratic moments as a Poisson process, each lasting 1 to 3 seconds."""
    count = rng.poisson(rate_per_min * duration_s / 60.0)
    events = []
    for _ in range(count):
        kind = str(rng.choice(EVENT_KINDS))
        start = float(rng.uniform(0, duration_s))
        mixture: tuple[float, ...] = ()
        if kind == "own_reaction":
            dominant = int(rng.integers(1, NUM_EXPRESSIONS))
            mixture = tuple(random_mixture(rng, dominant, 0.9).round(4).tolist())
        events.append(Event(kind, round(start, 3), round(start + rng.uniform(1, 3), 3), mixture))
    return sorted(events, key=lambda e: e.start_s)


def sample_reactor(
    rng: np.random.Generator,
    person_id: int,
    identity: Identity,
    duration_s: float,
    event_rate_per_min: float,
) -> Reactor:
    resting = random_mixture(rng, int(rng.choice([0, 1, 2, 7])), 1.0)
    return Reactor(
        person_id=person_id,
        identity=identity,
        lag_s=float(rng.uniform(0.0, 0.8)),
        gain=float(rng.uniform(0.7, 1.25)),
        resting=resting,
        resting_weight=float(rng.uniform(0.0, 0.25)),
        motion_phase=rng.uniform(0, 2 * np.pi, size=5),
        motion_amplitude=float(rng.uniform(0.3, 1.0)),
        events=tuple(sample_events(rng, duration_s, event_rate_per_min)),
    )
