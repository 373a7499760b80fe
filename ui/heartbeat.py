"""Qt glue for the supervisor's heartbeat: a GUI-thread timer rewrites the heartbeat file.

The timer runs on the GUI thread on purpose: when that thread blocks, the beats stop and the
supervisor restarts the UI (kiosk/deploy/supervisor.py).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from kiosk.deploy.heartbeat import BEAT_EVERY_S, from_env

_timer: QTimer | None = None


def start_heartbeat(parent: QObject | None = None) -> QTimer | None:
    """Beat every second while supervised; None (and nothing to do) when unsupervised."""
    global _timer
    heartbeat = from_env()
    if heartbeat is None:
        return None
    if _timer is not None:
        return _timer
    timer = QTimer(parent)
    timer.setInterval(int(BEAT_EVERY_S * 1000))
    timer.timeout.connect(heartbeat.beat)
    timer.start()
    heartbeat.beat()
    _timer = timer
    return timer
