"""Deployment: ONNX export with a JSON sidecar, and detect.py's runners over real media."""
