"""The study world: a synth world of its own, with its RM faces cut at the sidecar landmarks.

Facetrack would find the same faces at a far higher cost; the study measures ACL, not the
tracker, so each reactor's crop is cut where the renderer put its five landmarks, aligned with
the method's one alignment (rmfer.faces.align) and written as facetrack's shards and face table,
which ACL reads unchanged. The frames are never encoded to video (no codec artefacts). The
world is written to its own folder; `world.json` is written last, so a folder that has it for
the same parameters is complete and is reused.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rmfer.data.rafdb import read_rafdb
from rmfer.data.subsample import carve_validation
from rmfer.data.subsample import labeled_subset as labeled_subset  # runs.py imports it here
from rmfer.faces.align import similarity_transforms, warp_aligned
from rmfer.faces.shards import ShardWriter
from rmfer.files import replace_atomically, write_atomically
from rmfer.study.params import WorldParams
from rmfer.synth import world as synth_world
from rmfer.synth.benchmark import label_file_text
from rmfer.synth.face import sample_background
from rmfer.synth.mashup import MIXTURE_COLUMNS, MashupPlan, render_frames, sidecar_frame
from rmfer.synth.params import SynthParams

logger = logging.getLogger(__name__)

MANIFEST = "world.json"
LAYOUT = 2  # bump when what the world's files hold changes: an older world is then remade
LANDMARKS = [f"lm{i}_{axis}" for i in range(5) for axis in ("x", "y")]
# What a face_tracks row keeps of its sidecar row: facetrack's columns, the box (for oracle
# pairing's match) and the true mixture (for the held-out feature correlation).
TRACK_COLUMNS = ("video_id", "person_id", "time_s", "frame_idx", "x1", "y1", "x2", "y2")


@dataclass(frozen=True)
class StudyWorld:
    """What the runs read: the labeled pool, its truth, and the RM faces split by video."""

    benchmark: pd.DataFrame  # index rows; split: train (the pool) | validation | test
    dominant: pd.Series  # the true dominant expression of each benchmark row (same index)
    face_tracks: pd.DataFrame  # the RM faces ACL trains on (with truth columns, for oracle)
    held_out: pd.DataFrame  # the RM faces of videos ACL never sees
    faces_dir: str
    truth_dir: str  # per-video sidecars: only oracle pairing reads them
    manifest: dict[str, Any]


def fingerprint(params: WorldParams) -> str:
    """Same parameters, same world: the manifest records this to decide on reuse."""
    text = json.dumps(
        {
            "layout": LAYOUT,
            **{k: getattr(params, k) for k in ("face_size", "held_out_videos", "synth")},
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make_world(params: WorldParams) -> dict[str, Any]:
    """Generate the world unless its folder already holds it; its manifest either way."""
    folder = Path(params.dir)
    manifest_path = folder / MANIFEST
    key = fingerprint(params)
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("fingerprint") == key:
            logger.info("Study world: reusing %s", folder)
            return manifest
        logger.info("Study world: %s was made from other parameters; making it again", folder)
    synth = SynthParams.from_dict(params.synth)
    plan = synth_world.plan_world(synth)
    workers = synth.workers or os.cpu_count() or 1
    _write_benchmark(plan, folder / "benchmark", workers)
    synth_world.benchmark_truth(plan).to_parquet(folder / "rafdb_truth.parquet", index=False)
    faces = _write_faces(plan.videos, folder / "rm_faces", params.face_size, workers)
    held = [v.video_id for v in plan.videos[-params.held_out_videos :]]
    faces["held_out"] = faces["video_id"].isin(held)
    faces.to_parquet(folder / "face_tracks.parquet", index=False)
    reactors = sum(len(v.reactors) for v in plan.videos)
    manifest = {
        "fingerprint": key,
        "benchmark_images": len(plan.items),
        "videos": len(plan.videos),
        "reactors": reactors,
        "rm_faces": len(faces),
        "rm_faces_training": int((~faces["held_out"]).sum()),
        "held_out_videos": held,
        "face_size": params.face_size,
        "faces_from": "cut at the sidecar landmarks (rmfer.faces.align), not facetrack",
    }
    write_atomically(manifest_path, json.dumps(manifest, indent=1))
    logger.info("Study world: %s", {k: v for k, v in manifest.items() if k != "held_out_videos"})
    return manifest


def _write_benchmark(plan: synth_world.WorldPlan, root: Path, workers: int) -> None:
    """RAF-DB's layout, as the demo writes it, so the real reader indexes it."""
    images = synth_world.render_benchmark(plan, workers)
    for key, data in images.items():
        path = root / "Image" / f"{key}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    label_file = root / "EmoLabel" / "list_patition_label.txt"
    label_file.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(label_file, label_file_text(list(plan.items)))


def _write_faces(
    videos: tuple[MashupPlan, ...], folder: Path, size: int, workers: int
) -> pd.DataFrame:
    jobs = [(video, folder, size) for video in videos]
    tables = synth_world.parallel_map(_cut_video, jobs, len(jobs), workers, "study RM faces")
    return pd.concat(tables, ignore_index=True)


def _cut_video(job: tuple[MashupPlan, Path, int]) -> pd.DataFrame:
    """Render one mashup's frames, cut every reactor's aligned face into its shard, and write
    the sidecar (`truth/<video>.parquet`, as the demo's) that oracle pairing matches by box."""
    plan, folder, size = job
    sidecar: list[dict[str, Any]] = []
    rng = np.random.default_rng(plan.seed + 1)  # the backgrounds render_video would draw
    side = max(plan.width, plan.height) // 2
    backgrounds = [sample_background(rng, side, side) for _ in plan.reactors]
    writer = ShardWriter(folder / f"{plan.video_id}.npy", (size, size, 3))
    rows: list[dict[str, Any]] = []
    try:
        for frame, truth in render_frames(plan, backgrounds):
            sidecar.extend(truth)
            points = np.array([[row[c] for c in LANDMARKS] for row in truth]).reshape(-1, 5, 2)
            for row, matrix in zip(truth, similarity_transforms(points, size), strict=True):
                offset = writer.append(warp_aligned(frame, matrix, size))
                rows.append(
                    {
                        **{c: row[c] for c in TRACK_COLUMNS},
                        "shard": writer.path.name,
                        "offset": offset,
                        **{c: row[c] for c in (*MIXTURE_COLUMNS, "dominant")},
                    }
                )
        writer.finish(np.arange(writer.count))
    except BaseException:
        writer.abort()
        raise
    truth_dir = folder.parent / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    path = truth_dir / f"{plan.video_id}.parquet"
    replace_atomically(path, lambda partial: sidecar_frame(sidecar).to_parquet(partial))
    return pd.DataFrame(rows)


def load_world(params: WorldParams) -> StudyWorld:
    """The generated world as the runs read it: validation carved from train, truth joined."""
    folder = Path(params.dir)
    manifest = json.loads((folder / MANIFEST).read_text())
    index = read_rafdb(folder / "benchmark").reset_index(drop=True)
    truth = pd.read_parquet(folder / "rafdb_truth.parquet").set_index("image")["dominant"]
    names = index["path"].map(lambda p: Path(p).name.replace("_aligned", ""))
    dominant = pd.Series(truth.reindex(names).to_numpy(), index=index.index, name="dominant")
    index = carve_validation(index, params.validation_per_class, params.synth["seed"])
    faces = pd.read_parquet(folder / "face_tracks.parquet")
    held = faces["held_out"].to_numpy(bool)
    return StudyWorld(
        benchmark=index,
        dominant=dominant,
        face_tracks=faces[~held].drop(columns="held_out").reset_index(drop=True),
        held_out=faces[held].drop(columns="held_out").reset_index(drop=True),
        faces_dir=str(folder / "rm_faces"),
        truth_dir=str(folder / "truth"),
        manifest=manifest,
    )
