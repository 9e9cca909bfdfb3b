"""Hydra-configured Lightning training, evaluation, export and detection of media defects."""

import os

# Offline-friendly defaults, set before wandb or albumentations are imported anywhere.
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

__version__ = "0.1.0"
