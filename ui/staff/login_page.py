"""The PIN pad: choose your name, type your PIN on big keys; lockouts are explained."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QPushButton, QWidget

from kiosk.staff import login
from kiosk.staff.labels import ROLE_ZH
from ui.fonts import set_weight
from ui.staff.base import ConsoleContext, button, page_frame, row, text

KEY_PX = 80


class LoginPage(QWidget):
    logged_in = Signal(object)          # StaffSession
    cancelled = Signal()

    def __init__(self, ctx: ConsoleContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.pin = ""
        page, layout = page_frame("工作人员登录")
        self.user = QComboBox()
        self.user.setMinimumWidth(420)
        self.dots = QLabel("")
        self.dots.setMinimumHeight(80)
        self.dots.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.dots.setStyleSheet("font-size: 56px; letter-spacing: 12px;")
        self.message = text("请选择工号并输入 PIN（6 位以上数字）。", role="muted")
        layout.addLayout(row(text("工号", wrap=False), self.user))
        layout.addWidget(self.dots)
        grid = QGridLayout()
        grid.setSpacing(12)
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "清除", "0", "删除"]
        for i, key in enumerate(keys):
            b = QPushButton(key)
            b.setMinimumSize(KEY_PX * 2, KEY_PX)
            b.setFont(set_weight(b.font(), bold=True))
            b.setStyleSheet("font-size: 40px;" if key.isdigit() else "")
            b.clicked.connect(lambda _c=False, k=key: self.press(k))
            grid.addWidget(b, i // 3, i % 3)
        layout.addLayout(grid)
        self.enter = button("登录", kind="primary", on_click=self.submit)
        self.back = button("返回居民界面", on_click=self.cancelled.emit)
        layout.addLayout(row(self.enter, self.back))
        layout.addWidget(self.message)
        layout.addStretch(1)
        outer = QGridLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(page)
        self.reload_users()

    def reload_users(self) -> None:
        self.user.clear()
        for account in login.list_accounts(self.ctx.store):
            if account.active:
                self.user.addItem(f"{account.username}（{ROLE_ZH.get(account.role, '')}）",
                                  account.username)
        if self.user.count() == 0:
            self.message.setText("还没有工作人员账号。请在电脑上运行："
                                 "kiosk staff add 工号 --role admin")

    def press(self, key: str) -> None:
        if key == "清除":
            self.pin = ""
        elif key == "删除":
            self.pin = self.pin[:-1]
        elif len(self.pin) < 12:
            self.pin += key
        self.dots.setText("●" * len(self.pin))

    def submit(self) -> None:
        username = self.user.currentData()
        if not username:
            return
        result = login.login(self.ctx.store, username, self.pin, rules=self.ctx.settings.staff,
                             now=self.ctx.clock())
        self.press("清除")
        if not result.ok:
            self.message.setProperty("role", "warn")
            self.message.setText(result.message_zh)
            self.message.style().polish(self.message)
            return
        self.message.setProperty("role", "muted")
        self.message.setText("")
        session = login.start_session(result, rules=self.ctx.settings.staff, now=self.ctx.clock())
        self.logged_in.emit(session)
