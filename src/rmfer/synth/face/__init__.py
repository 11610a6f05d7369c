"""Procedural, deterministic rendering of human-like faces driven by action-unit intensities.

The faces exist so that the whole pipeline (detection, tracking, training) can run on a demo world
with known ground truth. The renderer therefore aims first at being a face *to a real detector*
(RetinaFace), which is why it draws shaded skin, hair, neck and shoulders, almond eyes with
lids, a shaded nose and two-tone lips, and anti-aliases by supersampling.

Layout: `geometry` (face units, pose, the oval and its box), `draw` (cv2 primitives), `context`
(the layers and this head's geometry that every part draws with), one module per region with a
function per part (`body`, `hair`, `head`, `eyes`, `nose`, `mouth`), `lighting`, `render`
(`render_face`: the parts in painter's order) and `frame` (placing a face in a webcam frame).
"""

from rmfer.synth.face.frame import (
    add_sensor_noise,
    composite,
    encode_jpeg,
    jpeg_roundtrip,
    sample_background,
)
from rmfer.synth.face.geometry import Pose
from rmfer.synth.face.lighting import Lighting, sample_lighting
from rmfer.synth.face.render import RenderedFace, render_face

__all__ = [
    "Lighting",
    "Pose",
    "RenderedFace",
    "add_sensor_noise",
    "composite",
    "encode_jpeg",
    "jpeg_roundtrip",
    "render_face",
    "sample_background",
    "sample_lighting",
]
