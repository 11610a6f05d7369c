"""A torch Dataset over `benchmark_index`: one dict per face, so losses can pick what they need."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from rmfer.data.crop_cache import CropCache
from rmfer.data.images import PixelTable, load_record
from rmfer.data.index import soft_columns
from rmfer.errors import InputError

ImageTransform = Callable[[torch.Tensor], torch.Tensor]


class BenchmarkImages(Dataset):
    """Faces of an index (any split selection) -> {"image", "label"[, "soft_label"]}.

    `transform` maps a (3, H, W) uint8 tensor to the network's input. With `crops` (the
    index's crop cache) a face is read ready-cut at the cache's size instead of decoded.
    """

    def __init__(
        self,
        index: pd.DataFrame,
        transform: ImageTransform,
        num_classes: int,
        soft_labels: bool = False,
        crops: CropCache | None = None,
    ) -> None:
        self._records = index.reset_index(drop=True).to_dict("records")
        self._crops = crops
        self._cached = crops.positions(index) if crops is not None else None
        self.labels = index["label"].to_numpy(dtype=np.int64)
        self._transform = transform
        self._pixels = PixelTable()
        self._soft: np.ndarray | None = None
        if soft_labels:
            columns = soft_columns(num_classes)
            missing = [c for c in columns if c not in index.columns]
            if missing:
                raise InputError(
                    f"soft labels asked for, but the index lacks {missing}; "
                    "index FERPlus with soft_labels: true"
                )
            self._soft = index[columns].to_numpy(dtype=np.float32)

    def __len__(self) -> int:
        return len(self._records)

    def __getitem__(self, position: int) -> dict[str, torch.Tensor]:
        if self._crops is not None and self._cached is not None:
            rgb = self._crops.crop(self._cached[position])
        else:
            rgb = load_record(self._records[position], self._pixels)
        image = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)
        item = {"image": self._transform(image), "label": torch.tensor(self.labels[position])}
        if self._soft is not None:
            item["soft_label"] = torch.from_numpy(self._soft[position])
        return item
