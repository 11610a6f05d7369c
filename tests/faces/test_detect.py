"""RetinaFace on onnxruntime: the bundled model, another ONNX file, batches, scaling."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from onnxruntime.capi.onnxruntime_pybind11_state import RuntimeException
from retinaface.weights import WEIGHTS

from rmfer.faces.detect import (
    BUNDLED,
    ModelFileError,
    RetinaFaceDetector,
    model_fingerprint,
)
from rmfer.faces.track import match_boxes
from rmfer.video.decode import sample_frames

BOX = ["x1", "y1", "x2", "y2"]


@pytest.fixture(scope="module")
def frames(small_world) -> list[tuple[np.ndarray, object]]:
    """Three frames of the 3x3 mashup with their sidecar rows."""
    truth = small_world.truth("grid_3x3")
    chosen = [f for f in sample_frames(small_world.video("grid_3x3"), 1) if f.index in (0, 30, 60)]
    return [(f.image, truth[truth["frame_idx"] == f.index]) for f in chosen]


@pytest.fixture(scope="module")
def detector() -> RetinaFaceDetector:
    return RetinaFaceDetector(score_threshold=0.8)


def test_finds_every_reactor_with_its_landmarks(frames, detector):
    for image, truth in frames:
        faces = detector.detect([image])[0]
        pairs = match_boxes(truth[BOX].to_numpy(), faces.boxes, 0.5)
        assert len(pairs) == len(truth) == 9
        assert len(faces) == 9
        for r, c in pairs:
            expected = truth.iloc[r][[f"lm{i}_{a}" for i in range(5) for a in "xy"]]
            error = np.abs(faces.landmarks[c].ravel() - expected.to_numpy(float))
            width = truth.iloc[r]["x2"] - truth.iloc[r]["x1"]
            assert error.mean() < 0.06 * width and error.max() < 0.2 * width


def test_a_batch_gives_what_each_frame_gives_alone(frames, detector):
    images = [image for image, _ in frames]
    batched = detector.detect(images)
    for image, together in zip(images, batched, strict=True):
        alone = detector.detect([image])[0]
        np.testing.assert_allclose(together.boxes, alone.boxes, atol=0.05)
        np.testing.assert_allclose(together.landmarks, alone.landmarks, atol=0.05)


@pytest.mark.parametrize("size", [(360, 640), (350, 630), (720, 1280), (481, 853)])
@pytest.mark.parametrize("pad", [1, 32])
def test_the_network_input_is_opencvs_blob_of_the_scaled_frame(detector, size, pad):
    """The reused input buffer holds what cv2.dnn.blobFromImages makes, padding zeroed again."""
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (*size, 3), dtype=np.uint8) for _ in range(2)]
    detector._pad = pad
    try:
        for count in (2, 1, 2):  # a smaller batch and back: the buffer follows the shape
            scale, net_h, net_w = detector._geometry(*size)
            h, w = min(round(size[0] * scale), net_h), min(round(size[1] * scale), net_w)
            scaled = [cv2.resize(im, (w, h), interpolation=cv2.INTER_AREA) for im in images]
            scaled = scaled if (h, w) != size else images
            expected = cv2.dnn.blobFromImages(
                scaled[:count], 1.0, (w, h), mean=(104.0, 117.0, 123.0), swapRB=True
            )
            expected = np.pad(expected, ((0, 0), (0, 0), (0, net_h - h), (0, net_w - w)))
            np.testing.assert_array_equal(
                detector._preprocess(images[:count], scale, net_h, net_w), expected
            )
    finally:
        detector._pad = 1


def test_boxes_are_in_the_videos_pixels_whatever_the_detector_saw(frames):
    image, _ = frames[0]
    big = cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR)  # 1280x720
    small_side = RetinaFaceDetector(score_threshold=0.8, max_side=640).detect([big])[0]
    native = RetinaFaceDetector(score_threshold=0.8, max_side=None).detect([image])[0]
    pairs = match_boxes(small_side.boxes / 2, native.boxes, 0.8)
    assert len(pairs) == len(native) == 9


def test_a_missing_onnx_file_says_what_to_export_and_where(tmp_path):
    path = tmp_path / "retinaface_resnet50.onnx"
    for make in (lambda: RetinaFaceDetector(path), lambda: model_fingerprint(path)):
        with pytest.raises(ModelFileError) as caught:
            make()
        message = str(caught.value)
        assert str(path) in message
        assert "convert_to_onnx.py" in message and "Resnet50_Final.pth" in message


def test_another_onnx_file_with_other_output_names_and_a_fixed_batch(frames, detector, tmp_path):
    """A file whose outputs are not called loc/conf/landmarks (biubug6's export names them
    output, outputt, outputtt) is mapped by the outputs' shapes; a batch of one is looped."""
    renamed = WEIGHTS
    for old, new in ((b"loc", b"box"), (b"conf", b"prob"), (b"landmarks", b"keypoints")):
        new = new.ljust(len(old), b"_")[: len(old)]
        for tag in (b"\x12", b"\n"):
            renamed = renamed.replace(tag + bytes([len(old)]) + old, tag + bytes([len(new)]) + new)
    path = tmp_path / "other.onnx"
    path.write_bytes(renamed)
    other = RetinaFaceDetector(path, score_threshold=0.8)
    assert [o.name for o in other.session.get_outputs()] == ["box", "prob", "keypoints"]
    other.fixed_batch = 1
    images = [image for image, _ in frames]
    for mine, theirs in zip(other.detect(images), detector.detect(images), strict=True):
        np.testing.assert_allclose(mine.boxes, theirs.boxes, atol=0.05)
        np.testing.assert_allclose(mine.scores, theirs.scores, atol=1e-4)
    assert model_fingerprint(path).startswith("sha256:")
    assert model_fingerprint(path) != model_fingerprint(BUNDLED)


def test_threshold_and_minimum_size_filter(frames):
    image, _ = frames[0]
    assert len(RetinaFaceDetector(min_face_px=500).detect([image])[0]) == 0
    blank = np.full_like(image, 128)
    assert len(RetinaFaceDetector(score_threshold=0.5).detect([blank])[0]) == 0


class _Session:
    """Records the input shapes; `multiple` makes it fail like an export that upsamples by fixed
    factors, on sizes that do not divide by it."""

    def __init__(self, session, multiple: int = 1) -> None:
        self.session = session
        self.multiple = multiple
        self.shapes: list[tuple[int, ...]] = []

    def run(self, names, feeds):
        (batch,) = feeds.values()
        self.shapes.append(batch.shape)
        if batch.shape[2] % self.multiple or batch.shape[3] % self.multiple:
            raise RuntimeException("Add node: shapes do not broadcast")
        return self.session.run(names, feeds)


def test_an_export_that_needs_padded_inputs_gets_them(frames, detector):
    image, _ = frames[0]  # 640 x 360: 360 is no multiple of 32
    padded = RetinaFaceDetector(score_threshold=0.8)
    padded.session = _Session(padded.session, multiple=32)
    faces = padded.detect([image])[0]
    assert padded.session.shapes == [(1, 3, 360, 640), (1, 3, 384, 640)]
    assert len(match_boxes(faces.boxes, detector.detect([image])[0].boxes, 0.9)) == len(faces) == 9


def test_an_export_with_a_fixed_input_size_gets_letterboxed_frames(frames, detector):
    image, _ = frames[0]
    fixed = RetinaFaceDetector(score_threshold=0.8)
    fixed.fixed_size = (512, 512)  # as if the file's input were (1, 3, 512, 512)
    fixed.session = _Session(fixed.session)
    faces = fixed.detect([image])[0]
    assert fixed.session.shapes == [(1, 3, 512, 512)]
    assert len(match_boxes(faces.boxes, detector.detect([image])[0].boxes, 0.7)) == len(faces) == 9
