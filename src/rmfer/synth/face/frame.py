"""A rendered face placed in a webcam frame: the room behind it, compositing, noise, JPEG."""

from __future__ import annotations

import math

import cv2
import numpy as np

from rmfer.errors import StageError
from rmfer.synth.face.render import RenderedFace


def composite(
    background: np.ndarray, face: RenderedFace, x: int, y: int
) -> tuple[np.ndarray, np.ndarray]:
    """Alpha-blend `face` onto `background` in place at top-left (x, y), clipped to its edges."""
    h, w = background.shape[:2]
    fh, fw = face.rgba.shape[:2]
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + fw, w), min(y + fh, h)
    if x1 > x0 and y1 > y0:
        patch = face.rgba[y0 - y : y1 - y, x0 - x : x1 - x]
        a = patch[..., 3:4].astype(np.float32) * (1.0 / 255.0)
        dst = background[y0:y1, x0:x1].astype(np.float32)
        dst += (patch[..., :3].astype(np.float32) - dst) * a
        background[y0:y1, x0:x1] = np.clip(dst + 0.5, 0, 255).astype(np.uint8)
    offset = np.array([x, y], dtype=np.float32)
    box = face.box + np.concatenate([offset, offset])
    return box.astype(np.float32), (face.landmarks + offset).astype(np.float32)


def sample_background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A room seen behind a webcam user: wall gradient, furniture, frames, a lamp."""
    wall = rng.uniform(60.0, 230.0, 3)
    wall = wall * 0.6 + wall.mean() * 0.4
    top = wall * rng.uniform(0.85, 1.1)
    bottom = wall * rng.uniform(0.6, 0.95)
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    col = (top * (1.0 - t) + bottom * t).astype(np.float32)  # (H, 1, 3)
    side = 1.0 + float(rng.uniform(-0.15, 0.15)) * np.linspace(-1.0, 1.0, width, dtype=np.float32)
    img = np.clip(col * side[None, :, None], 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(2, 6))):  # shelves, cupboards, frames, doors
        w = int(rng.uniform(0.08, 0.4) * width)
        h = int(rng.uniform(0.08, 0.6) * height)
        x = int(rng.integers(-w // 3, width - w // 2))
        y = int(rng.integers(-h // 3, height - h // 3))
        color = rng.uniform(20.0, 235.0, 3)
        cv2.rectangle(img, (x, y), (x + w, y + h), color.tolist(), -1)
        if rng.random() < 0.5:  # a frame with a picture inside
            m = max(1, min(w, h) // 8)
            inner = rng.uniform(30.0, 220.0, 3)
            cv2.rectangle(img, (x + m, y + m), (x + w - m, y + h - m), inner.tolist(), -1)
        else:  # shelf edges
            for k in range(1, int(rng.integers(1, 4)) + 1):
                yy = y + k * h // 4
                cv2.line(img, (x, yy), (x + w, yy), (color * 0.6).tolist(), max(1, height // 90))
    if rng.random() < 0.7:  # lamp glow: a separable Gaussian, added with saturation
        lx = float(rng.uniform(0.0, width))
        ly = float(rng.uniform(0.0, height * 0.6))
        r = float(rng.uniform(0.1, 0.3)) * max(height, width)
        gx = np.exp(-((np.arange(width, dtype=np.float32) - lx) ** 2) / (2.0 * r * r))
        gy = np.exp(-((np.arange(height, dtype=np.float32) - ly) ** 2) / (2.0 * r * r))
        warm = np.array([255.0, 230.0, 180.0], dtype=np.float32) * float(rng.uniform(0.3, 0.6))
        glow = (gy[:, None, None] * (gx[:, None] * warm)[None]).astype(np.uint8)
        img = cv2.add(img, glow)
    return img


def _normal_quantiles(levels: int = 256) -> np.ndarray:
    """Standard normal quantiles at (i + 0.5) / levels, by bisection on erf (no scipy)."""
    out = np.empty(levels)
    for i in range(levels):
        p = (i + 0.5) / levels
        lo, hi = -6.0, 6.0
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if 0.5 * (1.0 + math.erf(mid / math.sqrt(2.0))) < p:
                lo = mid
            else:
                hi = mid
        out[i] = 0.5 * (lo + hi)
    return out


_NORMAL_Q = _normal_quantiles()


def add_sensor_noise(image: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Gaussian pixel noise, as a cheap webcam adds; returns a new uint8 image.

    Noise comes from one random byte per value through a 256-level Gaussian quantile table:
    ~10x faster than drawing floats, which matters for thousands of video frames.
    """
    if sigma <= 0:
        return image.copy()
    lut = np.rint(_NORMAL_Q * sigma).astype(np.int16)
    idx = np.frombuffer(rng.bytes(image.size), dtype=np.uint8).reshape(image.shape)
    noisy = image.astype(np.int16)
    noisy += lut[idx]
    return np.clip(noisy, 0, 255).astype(np.uint8)


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    """RGB image to JPEG bytes at `quality`."""
    ok, data = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise StageError("JPEG encoding failed")
    return data.tobytes()


def jpeg_roundtrip(image: np.ndarray, quality: int) -> np.ndarray:
    """Encode and decode as JPEG to get real compression artefacts (RGB in, RGB out)."""
    data = np.frombuffer(encode_jpeg(image, quality), dtype=np.uint8)
    return np.ascontiguousarray(cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1])
