"""Validated `evaluate:` parameters (conf/base/parameters_evaluate.yml)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rmfer.params import Checker, parse

SPACES = ("features", "embeddings")


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
        """Parse and check the `evaluate` block (every key required, see `rmfer.params`)."""
        result = parse(cls, params, "evaluate")
        check = Checker(result, "evaluate")
        check.integer("seed", 0)
        check.device()
        check.integer("threads", 1, optional=True)
        check.integer("batch_size", 1)
        check.integer("num_workers", 0)
        check.integer("max_attention_samples", 2)
        check.require(result.embedding is not None, "embedding", "a block of embedding keys")
        check.choice("embedding.space", SPACES)
        check.number("embedding.perplexity", 1, 200)
        check.integer("embedding.max_samples", 10)
        check.integer("embedding.threads", 1)
        check.text("facetrack_quality", optional=True)
        return result
