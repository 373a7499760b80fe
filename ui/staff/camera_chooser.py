"""The Settings page's camera part: the connected cameras as big buttons, one tap to choose,
"使用这台摄像头" to save it (admin, audited) — kiosk/staff/camera_choice.py has the rules.
A camera other than the one in use is opened at the next start: under the supervisor,
"现在重启安心认证" starts the kiosk again at once (audited `kiosk.restart_asked`).

Listing runs off the GUI thread (DirectShow enumeration can take a moment on Windows).
"""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from kiosk.camera.devices import default_lister
from kiosk.camera.identity import CameraIdentity
from kiosk.staff import camera_choice
from ui.qt_app import ask_restart, supervised
from ui.staff.base import ConsoleContext, button, in_background, row, text
from ui.staff.choices import ChoiceButtons

CAMERA_BUTTON_H = 96        # two lines of 26 px text and room for a fingertip


class CameraChooser(QWidget):
    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.in_use = ctx.camera_in_use or ctx.settings.camera
        self.choices = camera_choice.CameraChoices()
        self.listing = False
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(10)
        box.addWidget(text("摄像头", role="muted"))
        self.state = text("正在查找摄像头……")
        box.addWidget(self.state)
        self.buttons = ChoiceButtons(columns=1, button_height=CAMERA_BUTTON_H)
        box.addWidget(self.buttons)
        self.use_button = button("使用这台摄像头", kind="primary", on_click=self.save)
        self.use_button.setEnabled(False)
        self.find_button = button("重新查找", on_click=self.find)
        box.addLayout(row(self.use_button, self.find_button))
        self.message = text("")
        self.message.setVisible(False)             # shown once there is something to say
        box.addWidget(self.message)
        self.restart_button = button("现在重启安心认证", on_click=self.restart)
        self.restart_button.setVisible(False)      # after a save that needs a restart
        box.addLayout(row(self.restart_button))
        self.buttons.currentIndexChanged.connect(lambda _i: self._enable())

    def find(self) -> None:
        """List the cameras on the thread pool; the buttons are rebuilt when it is done."""
        if self.listing:
            return
        self.listing = True
        self.find_button.setEnabled(False)
        self.state.setText("正在查找摄像头……")
        lister = self.ctx.camera_lister or default_lister()
        in_use = self.in_use
        in_background(lambda: camera_choice.camera_choices(
            in_use, lister, CameraIdentity.load_recorded()), self._listed)

    def _listed(self, choices: camera_choice.CameraChoices | None, error: Exception | None
                ) -> None:
        self.listing = False
        self.find_button.setEnabled(True)
        if error is not None or choices is None:
            self.state.setText(f"无法查找摄像头：{error}")
            return
        self.show_choices(choices)

    def show_choices(self, choices: camera_choice.CameraChoices) -> None:
        self.choices = choices
        self.buttons.clear()
        for option in choices.options:
            self.buttons.addItem(option.label_zh(), option.value)
        using = next((i for i, o in enumerate(choices.options) if o.in_use), -1)
        self.buttons.setCurrentIndex(using)
        lines = [choices.in_use_zh, choices.recorded_zh]
        if choices.problem:
            lines.append(choices.problem)
        elif choices.options:
            lines.append("点一下要用的摄像头，再点“使用这台摄像头”。")
        self.state.setText("\n".join(lines))
        self._enable()

    def _enable(self) -> None:
        chosen = self.choices.option(str(self.buttons.currentData() or ""))
        admin = bool(self.ctx.session and self.ctx.session.is_admin)
        self.use_button.setEnabled(admin and chosen is not None)

    def save(self) -> None:
        value = str(self.buttons.currentData() or "")
        try:
            new, said = camera_choice.save_camera(self.ctx.store, self.ctx.actor(),
                                                  self.ctx.settings, self.choices, value)
        except (PermissionError, ValueError) as exc:
            self.tell(f"未保存：{exc}")
            return
        option = self.choices.option(value)
        needs_restart = new is not self.ctx.settings and option is not None and not option.in_use
        self.ctx.settings = new
        if needs_restart and supervised():
            said += "也可以现在点“现在重启安心认证”，约半分钟后就用新的摄像头。"
        self.tell(said)
        self.restart_button.setVisible(needs_restart and supervised())

    def restart(self) -> None:
        """Start the kiosk again now, so the saved camera is opened (the supervisor does it)."""
        session = self.ctx.session
        if session is not None:
            self.ctx.store.audit(actor=session.actor, action="kiosk.restart_asked",
                                 subject="camera",
                                 detail={"device": self.ctx.settings.camera.device}
                                 ).result(timeout=10)       # written before the store closes
        self.tell("正在重启……")
        ask_restart()

    def tell(self, words: str) -> None:
        self.message.setText(words)
        self.message.setVisible(bool(words))
