"""Data module of the lip-sync detector: training windows of a speaking face and its sound.

``dataset[i]`` is one :meth:`synth.av.AVSyncSynth.window`: ``num_frames`` mouth crops and in-sync
audio with ``context_frames`` frames of extra sound on each side, from which the training step
compares every video window with the audio at each offset. The crops are cut as the inference
pipeline cuts them: from detector-convention face boxes (:func:`~vqa_train.avsync.crops.detector_box`)
with the box error of a real detector and tracker added (a per-window shift and scale, a small
per-frame jitter). Augmentation, drawn from the sample's own generator: JPEG-like blockiness or
blur on the frames, a random level (+-15 dB) and a noise floor on the sound.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import torch

from synth.core import sample_rng
from vqa_train.avsync.crops import canonical_boxes, detector_box, mouth_crops
from vqa_train.data.base import SynthDataset, SyntheticDataModule


class SyncWindowDataset(SynthDataset):
    def __init__(
        self, synth: Any, split: str, size: int, num_frames: int, context_frames: int, augment: bool
    ) -> None:
        super().__init__(synth, split, size)
        self.num_frames, self.context_frames, self.augment = int(num_frames), int(context_frames), augment

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        win = self.synth.window(self.split, int(index), self.num_frames, self.context_frames)
        rng = sample_rng(self.synth.seed, self.split, int(index), stream=2)
        if isinstance(win, dict):  # a folder of real footage: crops were cut along the face tracks
            audio = win["audio"]
            if self.augment:
                audio = audio * np.float32(10 ** (rng.uniform(-10, 5) / 20))
            return {
                "crops": torch.from_numpy(win["crops"]),
                "wave": torch.from_numpy(audio.astype(np.float32)),
            }
        boxes = detector_box(win.boxes)
        side = float(np.mean(boxes[:, 2:] - boxes[:, :2]))
        shift = rng.normal(0, 0.03, 2) * side  # detector error: one per window (the track is smoothed)
        scale = float(np.exp(rng.normal(0, 0.08)))
        centre = (boxes[:, :2] + boxes[:, 2:]) / 2 + shift + rng.normal(0, 0.006 * side, (len(boxes), 2))
        half = (boxes[:, 2:] - boxes[:, :2]) / 2 * scale
        boxes = np.concatenate([centre - half, centre + half], axis=1).astype(np.float32)
        frames = win.frames
        audio = win.audio
        if self.augment:
            frames = _degrade(frames, rng)
            audio = audio * np.float32(10 ** (rng.uniform(-15, 5) / 20))
            audio = audio + rng.standard_normal(audio.shape).astype(np.float32) * np.float32(
                10 ** (rng.uniform(-70, -40) / 20)
            )
        crops = mouth_crops(frames, boxes)
        return {"crops": torch.from_numpy(crops), "wave": torch.from_numpy(audio.astype(np.float32))}


def _degrade(frames: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Compression blockiness (JPEG q 20-70) or a blur (sigma 0.5-1.5), each on a third of the samples."""
    pick = rng.random()
    if pick < 1 / 3:
        quality = int(rng.integers(20, 71))
        out = []
        for f in frames:
            ok, buf = cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, quality])
            out.append(cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if ok else f)
        return np.stack(out)
    if pick < 2 / 3:
        sigma = float(rng.uniform(0.5, 1.5))
        return np.stack([cv2.GaussianBlur(f, (0, 0), sigma) for f in frames])
    return frames


class AVSyncDataModule(SyntheticDataModule):
    """Sync windows from the procedural talking heads (:class:`synth.av.AVSyncSynth`) or from a
    folder of the user's own videos (:class:`TrackedFolder`, ``data=av_folder``).

    With the procedural ``synth`` it also makes the evaluation clips (``eval.py`` uses
    :meth:`synth.av.AVSyncSynth.clip`); a folder is evaluated with ``real_set=DIR``.
    """

    def __init__(
        self,
        synth: Any,
        num_frames: int = 9,
        context_frames: int = 15,
        augment: bool = True,
        seed: int = 0,
        train_size: int = 8000,
        val_size: int = 500,
        test_size: int = 500,
        fresh_train_samples: bool = True,
        batch_size: int = 32,
        num_workers: int = 0,
        pin_memory: bool = False,
    ) -> None:
        super().__init__(
            seed, train_size, val_size, test_size, fresh_train_samples, batch_size, num_workers, pin_memory
        )
        if int(num_frames) < 5:
            raise ValueError(f"data.num_frames must be >= 5 (one SyncNet window), got {num_frames}")
        self.synth = synth
        self.classes = list(synth.classes)
        self.num_frames, self.context_frames, self.augment = (
            int(num_frames),
            int(context_frames),
            bool(augment),
        )

    def dataset(self, split: str) -> SyncWindowDataset:
        return SyncWindowDataset(
            self.synth,
            split,
            self.sizes[split],
            self.num_frames,
            self.context_frames,
            augment=self.augment and split == "train",
        )


class TrackedFolder:
    """Sync windows from a folder of the user's own videos with speech, split by file.

    Each file of a split is decoded in ``chunk_s`` windows (at most ``max_seconds`` per file) on
    one timeline at 25 fps / 16 kHz (:func:`synth.av.io.load_av_clip`); the same shot, face and
    tracking stages as inference (:mod:`vqa_train.avsync`) find the face tracks, whose mouth
    crops (uint8) and the sound around them are kept in memory (~1.5 kB per frame). Sample ``i``
    of a split is a window of ``num_frames`` crops of a track drawn (by length) from
    ``(seed, split, i)``, with ``context_frames`` of sound on each side (zeros beyond the file).

    The videos are taken to be in sync and their faces to be the speakers; a folder where many
    faces do not speak teaches the network less (the contrastive loss still only pairs a face
    with its own moment of sound).
    """

    classes = ("in_sync", "out_of_sync", "inconclusive")

    def __init__(
        self,
        root: str,
        seed: int = 0,
        split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
        chunk_s: float = 8.0,
        max_seconds: float = 120.0,
        fps: float = 25.0,
        sample_rate: int = 16000,
        face_max_side: int = 320,
        face_cascade: str = "haarcascade_frontalface_alt2.xml",
        detect_every: int = 3,
        min_track_frames: int = 25,
    ) -> None:
        from pathlib import Path

        from synth.folders import VIDEO_EXTENSIONS, split_folder

        self.root, self.seed = Path(root), int(seed)
        self.fractions, self.files = split_folder(
            self.root, VIDEO_EXTENSIONS, split_fractions, "TrackedFolder", "video"
        )
        self.chunk_s, self.max_seconds = float(chunk_s), float(max_seconds)
        self.fps, self.sample_rate = float(fps), int(sample_rate)
        self.face_max_side, self.detect_every = int(face_max_side), int(detect_every)
        self.face_cascade = face_cascade
        self.min_track_frames = int(min_track_frames)
        self._tracks: dict[str, list[tuple[np.ndarray, np.ndarray, str]]] = {}

    def tracks(self, split: str) -> list[tuple[np.ndarray, np.ndarray, str]]:
        """``(crops uint8 (T, h, w), sound float32 of those frames, file)`` per face track (cached)."""
        if split not in self._tracks:
            self._tracks[split] = self._scan(split)
        return self._tracks[split]

    def _scan(self, split: str) -> list[tuple[np.ndarray, np.ndarray, str]]:
        import warnings

        from synth.av.io import load_av_clip, probe_av
        from synth.media import MediaError
        from vqa_train.avsync.faces import FaceDetector
        from vqa_train.avsync.shots import detect_shots
        from vqa_train.avsync.tracking import track_faces
        from vqa_train.progress import track

        detector = FaceDetector(cascade=self.face_cascade, max_side=self.face_max_side)
        spf = int(round(self.sample_rate / self.fps))
        found = []
        for rel in track(self.files[split], f"face tracks ({split})", total=len(self.files[split])):
            path = self.root / rel
            try:
                duration = min(probe_av(path).duration_s or 0.0, self.max_seconds)
            except MediaError as exc:
                warnings.warn(f"skipping {exc}", stacklevel=2)
                continue
            start = 0.0
            while start + 1.0 <= duration:
                span = min(self.chunk_s, duration - start)
                clip = load_av_clip(
                    path, start_s=start, duration_s=span, fps=self.fps, sample_rate=self.sample_rate
                )
                frames = clip.frames
                shots = detect_shots(frames)
                dets = detector.detect_every(frames, step=self.detect_every)
                for t in track_faces(dets, shots, len(frames), min_length=self.min_track_frames):
                    boxes = canonical_boxes(t.boxes, self.face_cascade)
                    crops = (mouth_crops(frames[t.start : t.end], boxes) * 255).round().astype(np.uint8)
                    sound = clip.audio[t.start * spf : t.end * spf]
                    found.append((crops, sound.astype(np.float32), rel))
                start += span
        if not found:
            raise ValueError(
                f"TrackedFolder found no face track of >= {self.min_track_frames} frames in the "
                f"{split} split of {str(self.root)!r} ({len(self.files[split])} file(s))"
            )
        return found

    def window(
        self, split: str, index: int, num_frames: int = 5, context_frames: int = 15
    ) -> dict[str, np.ndarray]:
        tracks = self.tracks(split)
        rng = sample_rng(self.seed, split, int(index), stream=1)
        lengths = np.array([len(c) for c, _, _ in tracks], dtype=np.float64)
        usable = lengths >= num_frames
        if not usable.any():
            raise ValueError(f"no face track of {split} is {num_frames} frames long")
        p = np.where(usable, lengths, 0.0)
        crops, sound, _ = tracks[int(rng.choice(len(tracks), p=p / p.sum()))]
        k = int(rng.integers(0, len(crops) - num_frames + 1))
        spf = int(round(self.sample_rate / self.fps))
        lo = (k - context_frames) * spf
        hi = (k + num_frames + context_frames) * spf
        audio = np.zeros(hi - lo, np.float32)
        a, b = max(lo, 0), min(hi, len(sound))
        audio[a - lo : b - lo] = sound[a:b]
        return {"crops": crops[k : k + num_frames].astype(np.float32) / 255.0, "audio": audio}
