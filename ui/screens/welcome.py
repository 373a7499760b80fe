"""Welcome: one big button that invites people in."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.fonts import set_weight


class WelcomeScreen(QWidget):
    start_requested = Signal()
    help_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("screen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        title = QLabel("安心认证")
        title.setProperty("role", "title")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title.setFont(set_weight(title.font(), bold=True))
        subtitle = QLabel("养老金资格认证 · 请带好身份证")
        subtitle.setProperty("role", "body")
        subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        subtitle.setWordWrap(True)
        self.start_button = QPushButton("开始认证")
        self.start_button.setProperty("kind", "primary")
        self.start_button.setMinimumSize(520, 180)
        self.start_button.clicked.connect(self.start_requested)
        self.help_button = QPushButton("请工作人员帮助")
        self.help_button.setProperty("kind", "secondary")
        self.help_button.clicked.connect(self.help_requested)
        self.status = QLabel("")
        self.status.setProperty("role", "status")
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(60, 60, 60, 40)
        layout.addStretch(2)
        layout.addWidget(title)
        layout.addSpacing(20)
        layout.addWidget(subtitle)
        layout.addStretch(2)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.start_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.help_button)
        layout.addLayout(bottom)

    def set_status(self, text: str) -> None:
        self.status.setText(text)
