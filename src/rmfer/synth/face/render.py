"""`render_face`: one head, painted part by part, then shaded and downsampled.

The part calls below are the painter's order (later parts cover earlier ones); changing it
changes every image of the demo world.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from rmfer.synth.face.body import draw_body, draw_hand
from rmfer.synth.face.context import FaceContext, clipped_aus, face_context
from rmfer.synth.face.eyes import draw_brows, draw_eyes, draw_glasses
from rmfer.synth.face.geometry import Z_CONTOUR, Pose, face_box
from rmfer.synth.face.hair import draw_back_hair, draw_front_hair
from rmfer.synth.face.head import draw_ears, draw_forehead_lines, draw_oval, draw_sheen
from rmfer.synth.face.lighting import Lighting, lighting_field
from rmfer.synth.face.mouth import draw_folds, draw_mouth
from rmfer.synth.face.nose import draw_nose
from rmfer.synth.identity import Identity

OCCLUSIONS = (None, "hand_over_mouth")
_UPRIGHT = Pose()  # looking straight into the camera
_SHADOW_TINT = np.array([0.85, 1.0, 1.1], dtype=np.float32)


@dataclass
class RenderedFace:
    """A head on a transparent background plus where a detector should find it."""

    rgba: np.ndarray  # (H, W, 4) uint8, straight (not premultiplied) alpha
    box: np.ndarray  # (4,) float32 x1, y1, x2, y2
    landmarks: np.ndarray  # (5, 2) float32: eye (image-left), eye (image-right), nose, mouth L, R


def render_face(
    identity: Identity,
    aus: np.ndarray,
    size: int,
    *,
    pose: Pose = _UPRIGHT,
    lighting: Lighting | None = None,
    occlusion: str | None = None,
    supersample: int = 3,
) -> RenderedFace:
    """Render one head (with neck and shoulders) as straight RGBA, its face box and 5 landmarks.

    The face box is ~60% of `size` high (~66% with the jaw dropped), top at the upper forehead,
    so hair and shoulders fit; the box and landmarks are in this image's pixel coordinates.
    Everything is a pure function of the arguments.
    """
    if occlusion not in OCCLUSIONS:
        raise ValueError(f"occlusion must be None or 'hand_over_mouth', got {occlusion!r}")
    ctx = face_context(identity, clipped_aus(aus), size, pose, lighting, supersample)
    draw_body(ctx)
    draw_back_hair(ctx)
    draw_ears(ctx)
    draw_oval(ctx)
    draw_front_hair(ctx)
    draw_forehead_lines(ctx)
    eye_centers = draw_eyes(ctx)
    draw_brows(ctx)
    nose = draw_nose(ctx)
    mouth = draw_mouth(ctx, nose)
    draw_folds(ctx, nose, mouth)
    draw_sheen(ctx, nose)
    if identity.glasses:
        draw_glasses(ctx)
    if occlusion == "hand_over_mouth":
        draw_hand(ctx)
    box = face_box(ctx.contour, ctx.sproj, Z_CONTOUR)
    landmarks = [*eye_centers, nose.tip_px, mouth.left_px, mouth.right_px]
    return RenderedFace(
        rgba=_resolve(ctx),
        box=box.astype(np.float32),
        landmarks=(np.array(landmarks) * ctx.k_ss).astype(np.float32),
    )


def _resolve(ctx: FaceContext) -> np.ndarray:
    """Downsample, un-premultiply, shade, add sheen: the straight RGBA output."""
    size, skin, light = ctx.size, ctx.identity.skin, ctx.light
    canvas = ctx.canvas
    small = (
        cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA)
        if ctx.supersample > 1
        else canvas
    )
    alpha = small[..., 3]
    sigma = max(0.6, 0.012 * size)
    shade = cv2.GaussianBlur(ctx.shade, (0, 0), sigma)
    lum = 0.3 * skin[0] + 0.59 * skin[1] + 0.11 * skin[2]
    exposure = min(1.6, max(0.9, (140.0 / max(lum, 1.0)) ** 0.5))  # webcam auto-exposure
    shade += lighting_field(size, ctx.sproj, ctx.ratio, light) * exposure
    inv = 255.0 / np.maximum(alpha, 1).astype(np.float32)  # straight colour from premultiplied
    rgb = small[..., :3].astype(np.float32)
    # skin scatters red light: shadows get warmer rather than just greyer
    rgb *= inv[..., None] * (1.0 + (shade[..., None] - 1.0) * _SHADOW_TINT)
    spec = cv2.GaussianBlur(ctx.spec, (0, 0), sigma * 1.5)
    amp = 38.0 * (0.5 + 0.5 * light.strength) * light.brightness * (1.25 - lum / 255.0)
    rgb += (spec * amp)[..., None]
    out = np.empty((size, size, 4), dtype=np.uint8)
    np.clip(rgb, 0.0, 255.0, out=rgb)
    out[..., :3] = rgb
    out[..., 3] = alpha
    return out
