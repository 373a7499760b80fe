"""Camera: frame sources (device, video, images) and the newest-frame grabber thread."""

from kiosk.camera.grabber import CameraStatus, Frame, FrameGrabber
from kiosk.camera.sources import CameraError, FrameSource, open_source

__all__ = ["CameraError", "CameraStatus", "Frame", "FrameGrabber", "FrameSource", "open_source"]
