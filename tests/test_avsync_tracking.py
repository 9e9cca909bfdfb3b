"""Lip-sync preprocessing: hard cuts are found, faces are detected, and face tracks keep identity."""

from __future__ import annotations

import json
import pickle

import cv2
import numpy as np
import pytest

from vqa_train.avsync.faces import FaceDetector
from vqa_train.avsync.shots import cut_scores, detect_shots
from vqa_train.avsync.tracking import FaceTrack, iou, iou_matrix, track_faces

HEIGHT, WIDTH = 72, 128
ASTRONAUT_FACE = np.array([177.0, 66.0, 272.0, 161.0])


# ---------------------------------------------------------------- synthetic media


def scene(seed: int, tint: tuple[int, int, int], pad: int = 48) -> np.ndarray:
    """A smooth random colour texture larger than the frame, to move a camera across."""
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.normal(size=(HEIGHT + pad, WIDTH + pad, 3)).astype(np.float32), (0, 0), 4)
    image = 128 + 40 * noise / noise.std() + np.asarray(tint, dtype=np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


def shoot(texture: np.ndarray, num_frames: int, dx: float = 0.5, dy: float = 0.25) -> np.ndarray:
    """(T, H, W, 3) frames of a camera panning across ``texture`` by (dx, dy) pixels per frame."""
    frames = []
    for t in range(num_frames):
        x, y = 12 + round(dx * t), 4 + round(dy * t)
        frames.append(texture[y : y + HEIGHT, x : x + WIDTH])
    return np.stack(frames)


RED = scene(0, (60, -20, -40))
BLUE = scene(1, (-40, 0, 60))
GREY = scene(2, (0, 0, 0))


def moving_box(start: tuple[float, float, float, float], velocity: tuple[float, float], t: int) -> np.ndarray:
    x0, y0, x1, y1 = start
    vx, vy = velocity
    return np.array([x0 + vx * t, y0 + vy * t, x1 + vx * t, y1 + vy * t], dtype=np.float32)


def every(step: int, num_frames: int) -> list[int]:
    """Detection frames as ``FaceDetector.detect_every`` picks them."""
    frames = list(range(0, num_frames, step))
    return frames if frames[-1] == num_frames - 1 else [*frames, num_frames - 1]


# ---------------------------------------------------------------- iou


def test_iou_hand_computed() -> None:
    a = np.array([0, 0, 10, 10])
    assert iou(a, a) == pytest.approx(1.0)
    assert iou(a, [5, 5, 15, 15]) == pytest.approx(25 / 175)
    assert iou(a, [0, 0, 5, 10]) == pytest.approx(0.5)
    assert iou(a, [10, 0, 20, 10]) == 0.0  # touching edges
    assert iou(a, [20, 20, 30, 30]) == 0.0
    assert iou([0, 0, 0, 0], [0, 0, 0, 0]) == 0.0  # empty union


def test_iou_matrix_matches_pairwise() -> None:
    boxes_a = np.array([[0, 0, 10, 10], [5, 5, 15, 15]], dtype=np.float32)
    boxes_b = np.array([[0, 0, 10, 10], [0, 0, 5, 10], [100, 100, 110, 120]], dtype=np.float32)
    matrix = iou_matrix(boxes_a, boxes_b)
    assert matrix.shape == (2, 3)
    expected = [[1.0, 0.5, 0.0], [25 / 175, 0.0, 0.0]]
    np.testing.assert_allclose(matrix, expected, atol=1e-9)
    for i in range(2):
        for j in range(3):
            assert matrix[i, j] == pytest.approx(iou(boxes_a[i], boxes_b[j]))
    assert iou_matrix(np.zeros((0, 4)), boxes_b).shape == (0, 3)


# ---------------------------------------------------------------- tracking


def test_two_faces_keep_identity_through_motion_and_a_missed_detection() -> None:
    num_frames = 40
    left = ((20.0, 30.0, 80.0, 90.0), (2.0, 0.5))
    right = ((200.0, 40.0, 260.0, 100.0), (-1.5, 0.0))
    detections = {}
    for t in every(2, num_frames):
        boxes = [moving_box(*right, t)] if t == 10 else [moving_box(*right, t), moving_box(*left, t)]
        detections[t] = np.stack(boxes)  # the detector's order is by size, not identity
    tracks = track_faces(detections, [(0, num_frames)], num_frames)
    assert len(tracks) == 2
    for track_id, (track, (start, velocity)) in enumerate(zip(tracks, [left, right])):
        assert track.track_id == track_id
        assert (track.shot, track.start, track.end, track.length) == (0, 0, num_frames, num_frames)
        assert track.boxes.shape == (num_frames, 4) and track.boxes.dtype == np.float32
        truth = np.stack([moving_box(start, velocity, t) for t in range(num_frames)])
        np.testing.assert_allclose(track.boxes, truth, atol=1.0)
    assert not tracks[0].detected[10] and tracks[1].detected[10]
    assert tracks[0].detected.sum() == len(every(2, num_frames)) - 1


def test_track_ends_after_a_long_gap() -> None:
    box = np.array([[50, 50, 100, 100]], dtype=np.float32)
    detections = {t: box for t in every(2, 40) if not 12 < t < 26}  # nothing for 14 frames
    tracks = track_faces(detections, [(0, 40)], 40, max_gap=6)
    assert [(t.start, t.end) for t in tracks] == [(0, 13), (26, 40)]


def test_track_is_split_at_a_cut_even_without_motion() -> None:
    box = np.array([[50, 50, 100, 100]], dtype=np.float32)
    detections = {t: box for t in every(2, 40)}
    tracks = track_faces(detections, [(0, 21), (21, 40)], 40)
    assert [(t.track_id, t.shot, t.start, t.end) for t in tracks] == [(0, 0, 0, 21), (1, 1, 22, 40)]
    np.testing.assert_allclose(tracks[1].boxes, np.repeat(box, 18, axis=0))


def test_boxes_are_interpolated_between_detections() -> None:
    start, velocity = (10.0, 20.0, 50.0, 60.0), (2.0, -1.0)
    detections = {t: moving_box(start, velocity, t)[None] for t in range(0, 13, 4)}
    for smooth in (1, 5):  # a median over a linear motion is the motion itself
        (track,) = track_faces(detections, [(0, 13)], 13, min_length=1, smooth=smooth)
        truth = np.stack([moving_box(start, velocity, t) for t in range(13)])
        np.testing.assert_allclose(track.boxes, truth, atol=1e-4)
        assert track.detected.tolist() == [t % 4 == 0 for t in range(13)]


def test_short_tracks_are_dropped_and_summary_is_json() -> None:
    box = np.array([[0, 0, 40, 40]], dtype=np.float32)
    far = np.array([[100, 100, 140, 140]], dtype=np.float32)
    detections = {t: np.concatenate([box, far]) if t < 4 else box for t in range(0, 20, 2)}
    tracks = track_faces(detections, [(0, 20)], 20, min_length=9)
    assert len(tracks) == 1 and isinstance(tracks[0], FaceTrack)
    summary = tracks[0].to_dict()
    assert json.loads(json.dumps(summary)) == summary
    assert summary["start"] == 0 and summary["end"] == 19 and summary["num_detected"] == 10


def test_tracking_rejects_bad_inputs() -> None:
    with pytest.raises(ValueError, match="shots"):
        track_faces({}, [(0, 50)], 40)
    with pytest.raises(ValueError, match="N, 4"):
        track_faces({0: np.zeros((2, 3))}, [(0, 40)], 40)
    assert track_faces({}, [(0, 40)], 40) == []


# ---------------------------------------------------------------- shots


def test_hard_cuts_between_scenes_are_found_at_the_right_frame() -> None:
    video = np.concatenate([shoot(RED, 12), shoot(BLUE, 15, dx=-0.5), shoot(GREY, 13, dx=1.0)])
    scores = cut_scores(video)
    assert scores.shape == (40,) and scores[0] == 0.0
    assert detect_shots(video) == [(0, 12), (12, 27), (27, 40)]


def test_a_flash_of_another_scene_is_merged_into_a_neighbour() -> None:
    video = np.concatenate([shoot(RED, 10), shoot(BLUE, 1), shoot(RED, 10)])
    shots = detect_shots(video, min_shot_frames=3)
    assert len(shots) == 2 and shots[0][1] in (10, 11)  # the one-frame shot joined one side
    assert len(detect_shots(video, min_shot_frames=1)) == 3


@pytest.mark.parametrize(
    "kind", ["fade_to_black", "brightness_ramp", "contrast_ramp", "slow_pan", "fast_pan"]
)
def test_no_cut_within_one_scene(kind: str) -> None:
    base = shoot(RED, 30).astype(np.float64)
    ramp = np.linspace(0.0, 1.0, 30)[:, None, None, None]
    if kind == "fade_to_black":
        video = base * (1.0 - ramp)
    elif kind == "brightness_ramp":
        video = base + 80 * ramp
    elif kind == "contrast_ramp":
        video = 128 + (base - 128) * (1.0 - 0.7 * ramp)
    elif kind == "slow_pan":
        video = shoot(BLUE, 30, dx=1.0, dy=0.5)
    else:
        video = shoot(scene(3, (20, 0, -10), pad=200), 30, dx=6.0, dy=1.0)
    video = np.clip(np.round(video), 0, 255).astype(np.uint8)
    assert detect_shots(video) == [(0, 30)], np.round(cut_scores(video), 2)


def test_shot_edge_cases_and_validation() -> None:
    assert detect_shots(np.zeros((0, HEIGHT, WIDTH, 3), np.uint8)) == []
    assert detect_shots(shoot(RED, 1)) == [(0, 1)]
    with pytest.raises(ValueError, match=r"\(T, H, W, 3\)"):
        detect_shots(np.zeros((4, HEIGHT, WIDTH), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        detect_shots(np.zeros((4, HEIGHT, WIDTH, 3), np.float32))


# ---------------------------------------------------------------- faces


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector()


def test_finds_the_astronauts_face(detector: FaceDetector) -> None:
    astronaut = pytest.importorskip("skimage.data").astronaut()
    boxes = detector.detect(astronaut)
    assert boxes.dtype == np.float32 and boxes.ndim == 2 and boxes.shape[1] == 4 and len(boxes) >= 1
    assert iou_matrix(boxes, ASTRONAUT_FACE[None]).max() > 0.3
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    assert np.all(np.diff(areas) <= 0)
    gray = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    assert iou_matrix(detector.detect(gray), ASTRONAUT_FACE[None]).max() > 0.3
    clone = pickle.loads(pickle.dumps(detector))  # DataLoader workers receive a pickled copy
    assert iou_matrix(clone.detect(astronaut), ASTRONAUT_FACE[None]).max() > 0.3


def test_no_face_on_a_flat_frame_and_detect_every_keys(detector: FaceDetector) -> None:
    flat = np.full((240, 320, 3), 128, np.uint8)
    boxes = detector.detect(flat)
    assert boxes.shape == (0, 4) and boxes.dtype == np.float32
    found = detector.detect_every(np.stack([flat] * 7), step=3)
    assert sorted(found) == [0, 3, 6]
    assert sorted(detector.detect_every(np.stack([flat] * 8), step=3)) == [0, 3, 6, 7]
    with pytest.raises(ValueError, match="RGB"):
        detector.detect(np.zeros((10, 10, 4), np.uint8))


def test_bad_cascade_path_is_named(tmp_path) -> None:
    missing = tmp_path / "no_such_cascade.xml"
    with pytest.raises(FileNotFoundError, match="no_such_cascade.xml"):
        FaceDetector(cascade=str(missing))
    broken = tmp_path / "broken.xml"
    broken.write_text("<opencv_storage></opencv_storage>")
    with pytest.raises(RuntimeError, match="broken.xml"):
        FaceDetector(cascade=str(broken))
