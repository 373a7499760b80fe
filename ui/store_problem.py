"""The full-screen staff message shown when the kiosk's store cannot be used at start.

A damaged database (quick_check failed; the file was copied aside) or a missing or foreign
store key (kiosk/store/integrity.py) stops the kiosk from taking certifications. Before,
the window failed to open and the supervisor restarted it until it gave up, with nothing on
the screen. Now this window says, in plain words, what happened and how to restore the last
backup (the exact command), and stays up: its heartbeat keeps beating, so the supervisor
does not restart it; the close button ends the kiosk on purpose (exit 0). Nothing falls back
to an empty roster, nothing is written. A resident who walks up reads one calm line.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QVBoxLayout, QWidget

from kiosk.store.integrity import StoreUnavailable
from ui import theme

log = logging.getLogger(__name__)

TITLE = "本机暂停认证"
FOR_RESIDENTS = "请找工作人员帮忙，谢谢您的耐心。"
HEAD = {"store_damaged": "本机数据库文件已损坏。",
        "store_key_missing": "找不到本机的存储密钥。",
        "store_key_mismatch": "存储密钥与数据库不符。"}


def restore_steps(exc: StoreUnavailable, backups: list[Path]) -> tuple[list[str], str]:
    """(numbered steps, the exact command) for staff."""
    if exc.code == "store_damaged":
        kept = f"损坏的文件已另存为 {exc.aside.name}，请不要删除。" if exc.aside else ""
        if not backups:
            return ([kept, "没有找到自动备份。请联系技术支持，不要删除任何文件。"], "")
        return ([kept, f"关闭本窗口，在命令行输入下面的命令（恢复最近的备份 "
                 f"{backups[-1].name}）：", "然后重新启动安心认证。"],
                "kiosk store restore --latest")
    return (["把安装时备份的 store.key 放回原处（只有本机账户可读），",
             "然后重新启动安心认证。"], "")


class StoreProblemWindow(QWidget):
    def __init__(self, exc: StoreUnavailable, *, backups: list[Path]) -> None:
        super().__init__()
        self.setObjectName("screen")
        self.setWindowTitle("安心认证")
        self.code = exc.code
        steps, command = restore_steps(exc, backups)
        steps = [s for s in steps if s]
        self.title = self._label(TITLE, "title")
        self.residents = self._label(FOR_RESIDENTS, "body")
        self.head = self._label("工作人员请看：" + HEAD.get(exc.code, "本机数据暂时不能使用。")
                                + "已停止认证，没有写入任何数据。", "status")
        if exc.code != "store_damaged":       # the key messages name the file and fingerprint
            steps.insert(0, exc.message)
        self.steps = [self._label(f"{i}. {text}", "status") for i, text in
                      enumerate(steps, 1)]
        self.command = self._label(command, "status")
        self.command.setObjectName("command")
        self.command.setVisible(bool(command))
        self.command.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail = self._label(f"技术信息：{exc.detail}" if exc.detail else "", "small")
        self.detail.setVisible(bool(exc.detail))
        self.close_button = QPushButton("关闭程序")
        self.close_button.setProperty("kind", "secondary")
        self.close_button.setProperty("action", "store_problem_close")
        self.close_button.clicked.connect(QApplication.quit)
        self.box = box = QVBoxLayout(self)
        for w in (self.title, self.residents, self.head, *self.steps[:-1], self.command,
                  *self.steps[-1:], self.detail):
            box.addWidget(w)
        box.addStretch(1)
        box.addWidget(self.close_button, alignment=Qt.AlignmentFlag.AlignRight)
        self.apply_sizes()

    @staticmethod
    def _label(text: str, role: str) -> QLabel:
        label = QLabel(text)
        label.setProperty("role", role)
        label.setWordWrap(True)
        return label

    def apply_sizes(self) -> None:
        height = self.height() if self.height() > 200 else 1080
        sizes = theme.Sizes(1.0, theme.screen_factor(height))
        mono = max(theme.FLOOR_BODY_PX, round(36 * sizes.screen))
        self.setStyleSheet(theme.stylesheet(sizes) + f"""
            QLabel#command {{ font-family: monospace; font-size: {mono}px;
                background: {theme.SECONDARY_BG}; border: 3px solid {theme.PRIMARY};
                border-radius: 12px; padding: 12px 20px; }}
            QLabel[role="status"] {{ color: {theme.INK}; }}
            QLabel[role="small"] {{ color: {theme.MUTED}; font-size: {theme.FLOOR_BODY_PX}px; }}
        """)
        self.close_button.setMinimumHeight(sizes.target("help"))
        edge = round(48 * sizes.screen)
        self.box.setContentsMargins(edge, round(edge * 0.6), edge, round(edge * 0.6))
        self.box.setSpacing(round(14 * sizes.screen))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt name
        self.apply_sizes()
        super().resizeEvent(event)


def show_store_problem(exc: StoreUnavailable, *, fullscreen: bool) -> StoreProblemWindow:
    """Show the message (full screen on the kiosk) and log the code, never the message's
    file names' contents or anything personal."""
    from kiosk import paths
    from kiosk.store.backup import configured_dir, list_backups

    db = paths.database_path()
    window = StoreProblemWindow(exc, backups=list_backups(db, configured_dir(db)))
    app = QApplication.instance()
    if fullscreen and app is not None:
        window.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        window.setGeometry(app.primaryScreen().geometry())
        window.showFullScreen()
    else:
        window.resize(1280, 800)
        window.show()
    log.error("store unavailable (%s): certifications stopped, staff message shown", exc.code)
    return window
