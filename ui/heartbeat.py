"""Qt glue for the supervisor's heartbeat: a GUI-thread timer rewrites the heartbeat file.

The timer runs on the GUI thread on purpose: when that thread blocks, the beats stop and the
supervisor restarts the UI (kiosk/deploy/supervisor.py).

The beating object is a QObject that owns both the timer and the `Heartbeat`, and the timer
calls a slot of that QObject. Connecting the timer to `heartbeat.beat` directly does not work:
PySide6 keeps only a weak reference to the object behind a bound method of a plain Python
class, so once the function that made it returned, the `Heartbeat` was collected, the
connection went dead and the file held its first beat for ever (the supervisor then killed a
healthy UI every ~34 s).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Slot

from kiosk.deploy.heartbeat import BEAT_EVERY_S, Heartbeat, from_env


class HeartbeatTimer(QObject):
    """Beats `heartbeat` every BEAT_EVERY_S from the thread this object lives in."""

    def __init__(self, heartbeat: Heartbeat, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.heartbeat = heartbeat            # strong reference: lives as long as the timer
        self.timer = QTimer(self)
        self.timer.setInterval(int(BEAT_EVERY_S * 1000))
        self.timer.timeout.connect(self.beat)

    @Slot()
    def beat(self) -> None:
        self.heartbeat.beat()

    def start(self) -> None:
        self.beat()
        self.timer.start()

    @property
    def count(self) -> int:
        return self.heartbeat.count


_beater: HeartbeatTimer | None = None


def start_heartbeat(parent: QObject | None = None) -> HeartbeatTimer | None:
    """Beat every second while supervised; None (and nothing to do) when unsupervised."""
    global _beater
    heartbeat = from_env()
    if heartbeat is None:
        return None
    if _beater is None:
        _beater = HeartbeatTimer(heartbeat, parent)
        _beater.start()
    return _beater
