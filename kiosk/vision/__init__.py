"""Vision: face observation, quality gates, active liveness, anti-spoofing and matching.

Heavy modules (MediaPipe, DeepFace) are imported lazily, so importing this package is cheap.
"""
