"""Audio-visual sync (SyncNet-style) preprocessing: shots, face detection and face tracks."""
