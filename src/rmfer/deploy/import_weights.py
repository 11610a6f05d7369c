"""Third-party starting weights turned into a plain state dict the project loads.

The paper starts from HSEmotion's face-pretrained EfficientNets (`enet_b2_7.pt`, `enet_b2_8.pt`),
saved as whole pickled timm models. Unpickling such a file runs code from it, so it is done here
once, only when the user says the file is trusted (`--trust`), and the result is a plain state
dict that everything downstream reads with `weights_only=True`.

Classifier rows are reordered into the canonical label order (docs/data-formats.md) at import, so
`init_heads_from_backbone_classifier` can copy them without knowing where they came from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from rmfer.errors import InputError, MissingInputError, RmferError
from rmfer.files import replace_atomically
from rmfer.labels import CANONICAL_LABELS, canonical_id
from rmfer.models.pretrained import find_head, read_weights

logger = logging.getLogger(__name__)

HSEMOTION = "hsemotion"  # HSEmotion's heads list the classes alphabetically


@dataclass(frozen=True)
class ImportedWeights:
    path: Path
    tensors: int
    head: str | None  # the classifier's key prefix, None when the file has no classifier
    head_labels: tuple[str, ...] | None  # the classifier rows' labels after import


def head_label_order(spec: str | None, rows: int) -> tuple[str, ...] | None:
    """The labels of a source classifier's rows: a preset, a comma list, or None (canonical)."""
    if spec is None:
        return None
    if spec == HSEMOTION:
        names = sorted(CANONICAL_LABELS[:rows])
    else:
        names = [name.strip() for name in spec.split(",") if name.strip()]
    if len(names) != rows:
        raise InputError(
            f"--head-labels names {len(names)} labels, but the classifier has {rows} rows"
        )
    return tuple(CANONICAL_LABELS[canonical_id(name)] for name in names)


def import_weights(
    source: Path, out: Path, trust_pickle: bool = False, head_labels: str | None = None
) -> ImportedWeights:
    """Write `source`'s weights to `out` as a plain state dict, classifier rows canonical."""
    source = Path(source)
    if not source.is_file():
        raise MissingInputError(f"no weights file at {source}")
    try:
        state, kind = read_weights(source, trust_pickle)
    except RmferError:
        raise
    except Exception as error:  # unpickling junk fails in many ways (UnpicklingError, EOF ...)
        first = (str(error).strip().splitlines() or [""])[0][:200]
        raise InputError(
            f"{source} cannot be read as weights ({type(error).__name__}: {first}); expected a "
            "state dict (.pt, .pth, .safetensors) or a whole pickled torch model"
        ) from error
    state = {k: v.detach().cpu().contiguous() for k, v in state.items()}
    head = find_head(state)
    labels = None
    if head is not None:
        rows = state[f"{head}.weight"].shape[0]
        labels = head_label_order(head_labels, rows)
        if labels is not None:
            order = sorted(range(rows), key=lambda i: CANONICAL_LABELS.index(labels[i]))
            for part in ("weight", "bias"):
                state[f"{head}.{part}"] = state[f"{head}.{part}"][order].clone()
            labels = tuple(labels[i] for i in order)
        elif rows in (7, 8):
            labels = CANONICAL_LABELS[:rows]
    elif head_labels is not None:
        raise InputError(f"{source} has no classifier to reorder (--head-labels given)")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(out, lambda path: torch.save(state, path))
    logger.info("Imported %s (%s, %d tensors) to %s", source, kind, len(state), out)
    return ImportedWeights(out, len(state), head, labels)
