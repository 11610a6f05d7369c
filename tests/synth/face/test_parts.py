"""Each facial part and the geometry under them can be exercised alone."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rmfer.synth.expressions import AU_NAMES, PROTOTYPES
from rmfer.synth.face.context import clipped_aus, face_context
from rmfer.synth.face.eyes import draw_eyes, draw_glasses
from rmfer.synth.face.geometry import Z_CONTOUR, Pose, Projector, face_box, face_contour
from rmfer.synth.face.head import draw_oval
from rmfer.synth.face.mouth import draw_mouth
from rmfer.synth.face.nose import draw_nose
from rmfer.synth.identity import sample_identity


def _context(size: int = 100, **identity_changes):
    identity = dataclasses.replace(sample_identity(np.random.default_rng(3)), **identity_changes)
    return face_context(identity, clipped_aus(PROTOTYPES["Surprise"]), size, Pose(), None, 2)


def test_upright_projection_puts_the_face_centre_where_the_layout_says() -> None:
    proj = Projector(200.0, Pose())
    assert proj.pt(0.0, 0.0, 0.5) == pytest.approx((100.0, 0.43 * 200.0))
    points = np.array([[0.0, 0.0], [1.0, -1.0]])
    assert np.allclose(proj(points, 0.5)[1] - proj(points, 0.5)[0], [proj.unit, -proj.unit])


def test_the_face_box_spans_forehead_to_chin_inside_the_image() -> None:
    contour = face_contour(0.78, 0.5, 0.0)
    dropped = face_contour(0.78, 0.5, 0.17)
    size = 100
    x1, y1, x2, y2 = face_box(contour, Projector(float(size), Pose()), Z_CONTOUR)
    assert 0 < x1 < x2 < size and 0 < y1 < y2 < size
    assert dropped[:, 1].max() > contour[:, 1].max()  # an open jaw lowers the chin


def test_aus_are_clipped_and_counted() -> None:
    au = clipped_aus(np.full(len(AU_NAMES), 2.0))
    assert set(au) == set(AU_NAMES) and set(au.values()) == {1.0}
    with pytest.raises(ValueError, match=str(len(AU_NAMES))):
        clipped_aus(np.zeros(3))


def test_a_fresh_context_is_blank_and_a_part_paints_only_its_layer() -> None:
    ctx = _context()
    assert not ctx.canvas.any() and not ctx.shade.any() and not ctx.spec.any()
    draw_oval(ctx)
    centre = ctx.canvas[ctx.canvas.shape[0] // 2, ctx.canvas.shape[1] // 2]
    assert centre[3] == 255 and not ctx.shade.any() and not ctx.spec.any()


def test_glasses_add_frames_to_the_canvas() -> None:
    bare = _context(glasses=False)
    draw_oval(bare)
    worn = _context(glasses=True)
    draw_oval(worn)
    draw_glasses(worn)
    assert not np.array_equal(bare.canvas, worn.canvas)


def test_eyes_nose_and_mouth_return_landmarks_in_order() -> None:
    ctx = _context()
    left, right = draw_eyes(ctx)
    nose = draw_nose(ctx)
    mouth = draw_mouth(ctx, nose)
    assert left[0] < nose.tip_px[0] < right[0]
    assert max(left[1], right[1]) < nose.tip_px[1] < min(mouth.left_px[1], mouth.right_px[1])
    assert mouth.left_px[0] < mouth.right_px[0]
