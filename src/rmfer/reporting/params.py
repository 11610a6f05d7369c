"""Validated `evaluate:` parameters (conf/base/parameters_evaluate.yml)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from rmfer.training.checks import require_keys

SPACES = ("features", "embeddings")


class EvaluateParameterError(ValueError):
    """An `evaluate.*` parameter is missing, unknown or out of range."""


@dataclass(frozen=True)
class EmbeddingParams:
    space: str  # features (f, what the classifier sees) | embeddings (z = g(f))
    perplexity: float
    max_samples: int  # t-SNE is quadratic: a class-stratified subset beyond this many
    threads: int  # OpenMP threads of the t-SNE; more than the free cores makes it crawl


@dataclass(frozen=True)
class EvaluateParams:
    seed: int
    device: str
    threads: int | None
    batch_size: int
    num_workers: int
    max_attention_samples: int
    embedding: EmbeddingParams
    facetrack_quality: str | None  # demo only: the file facetrack_quality writes

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> EvaluateParams:
        values = dict(params)
        require_keys(values, (f.name for f in fields(cls)), "evaluate", EvaluateParameterError)
        embedding = dict(values["embedding"] or {})
        require_keys(
            embedding,
            (f.name for f in fields(EmbeddingParams)),
            "evaluate.embedding",
            EvaluateParameterError,
        )
        values["embedding"] = EmbeddingParams(**embedding)
        result = cls(**values)
        result._check()
        return result

    def _check(self) -> None:
        def require(ok: bool, key: str, value: Any, allowed: str) -> None:
            if not ok:
                raise EvaluateParameterError(
                    f"parameter evaluate.{key} = {value!r} is invalid; allowed: {allowed}"
                )

        def integer(key: str, value: Any, low: int, optional: bool = False) -> None:
            ok = (optional and value is None) or (
                isinstance(value, int) and not isinstance(value, bool) and value >= low
            )
            require(ok, key, value, f"an integer >= {low}" + (" or null" if optional else ""))

        integer("seed", self.seed, 0)
        integer("threads", self.threads, 1, optional=True)
        integer("batch_size", self.batch_size, 1)
        integer("num_workers", self.num_workers, 0)
        integer("max_attention_samples", self.max_attention_samples, 2)
        integer("embedding.max_samples", self.embedding.max_samples, 10)
        integer("embedding.threads", self.embedding.threads, 1)
        device_ok = self.device in ("auto", "cpu") or str(self.device).startswith("cuda")
        require(device_ok, "device", self.device, "auto, cpu, cuda or cuda:N")
        require(
            self.embedding.space in SPACES, "embedding.space", self.embedding.space, str(SPACES)
        )
        perplexity = self.embedding.perplexity
        require(
            isinstance(perplexity, (int, float))
            and not isinstance(perplexity, bool)
            and 1 <= perplexity <= 200,
            "embedding.perplexity",
            perplexity,
            "a number in [1, 200]",
        )
        require(
            self.facetrack_quality is None or isinstance(self.facetrack_quality, str),
            "facetrack_quality",
            self.facetrack_quality,
            "a file path or null",
        )
