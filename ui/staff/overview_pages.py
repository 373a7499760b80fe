"""Today (the day's figures and device state) and Sync (status, sync now, USB)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QGridLayout, QVBoxLayout, QWidget

from kiosk.staff import reports, sync_actions
from kiosk.staff.labels import fmt_local
from ui.staff.base import (
    ConsoleContext,
    button,
    clear_layout,
    in_background,
    page_frame,
    row,
    text,
    tile,
)

DEVICE_ZH = {"camera": "摄像头", "speech": "语音", "printer": "打印机"}
STATUS_ZH = {"ok": "正常", "warn": "注意", "fail": "故障", "unknown": "未检查"}


class TodayPage(QWidget):
    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        page, self.layout_ = page_frame("今日概况")
        self.grid = QGridLayout()
        self.grid.setSpacing(16)
        self.layout_.addLayout(self.grid)
        self.sync_line = text("")
        self.devices = text("")
        self.layout_.addWidget(self.sync_line)
        self.layout_.addWidget(self.devices)
        self.layout_.addStretch(1)
        QVBoxLayout(self).addWidget(page)
        self.layout().setContentsMargins(0, 0, 0, 0)

    def refresh(self) -> None:
        f = reports.today_figures(self.ctx.store, today=self.ctx.clock().astimezone(
            reports.LOCAL_TZ).date())
        clear_layout(self.grid)
        tiles = [("今日认证通过", f.certified, "人"), ("今日未通过", f.failed, "人次"),
                 ("今日转人工", f.referred, "人次"), ("待审核", f.review_waiting, "条"),
                 ("上门认证待办", f.home_visits_pending, "户"),
                 ("待同步记录", f.outbox_pending, "条")]
        for i, (caption, value, unit) in enumerate(tiles):
            self.grid.addWidget(tile(caption, f"{value} {unit}"), i // 3, i % 3)
        last = fmt_local(f.last_sync_at) if f.last_sync_at else "从未同步"
        self.sync_line.setText(f"上次同步：{last}" + (f"　最近问题：{f.last_sync_error}"
                                                    if f.last_sync_error else ""))
        parts = []
        for name in ("camera", "speech", "printer"):
            status, detail = self.ctx.devices.get(name, ("unknown", ""))
            parts.append(f"{DEVICE_ZH[name]}：{STATUS_ZH.get(status, status)}"
                         + (f"（{detail}）" if detail else ""))
        self.devices.setText("设备状态　" + "　".join(parts))


class SyncPage(QWidget):
    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        page, layout = page_frame("数据同步")
        self.status = text("")
        self.result = text("", role="muted")
        self.sync_button = button("立即同步", kind="primary", on_click=self.sync_now)
        self.export_button = button("导出到U盘（管理员）", on_click=self.export_usb)
        self.import_button = button("从U盘导入回执/名册", on_click=self.import_usb)
        layout.addWidget(self.status)
        layout.addLayout(row(self.sync_button, self.export_button, self.import_button))
        layout.addWidget(self.result)
        layout.addWidget(text("没有网络也没关系：记录都安全保存在本机，有网时会自动上传；"
                              "也可以用U盘带到上级单位导入。", role="muted"))
        layout.addStretch(1)
        QVBoxLayout(self).addWidget(page)
        self.layout().setContentsMargins(0, 0, 0, 0)

    def refresh(self) -> None:
        s = self.ctx.store.sync_status()
        state = "在线，同步正常" if s.online_ok else ("离线（正常情况，数据保存在本机）"
                                                      if not s.last_error else "上次同步未成功")
        self.status.setText(
            f"状态：{state}\n待上传：{s.pending} 条　已确认：{s.acknowledged} 条　"
            f"名册版本：{s.roster_version}\n上次成功：{fmt_local(s.last_success_at) or '从未'}　"
            f"上次尝试：{fmt_local(s.last_attempt_at) or '从未'}")
        admin = bool(self.ctx.session and self.ctx.session.is_admin)
        self.export_button.setEnabled(admin)

    def _answer(self, answer: object, error: Exception | None) -> None:
        self.sync_button.setEnabled(True)
        if error is not None:
            self.result.setText(f"未完成：{error}")
        else:
            self.result.setText(answer.message_zh)  # type: ignore[attr-defined]
        self.refresh()

    def sync_now(self) -> None:
        session = self.ctx.actor()
        self.sync_button.setEnabled(False)
        self.result.setText("正在同步……")
        in_background(lambda: sync_actions.sync_now(self.ctx.store, self.ctx.settings, session),
                      self._answer)

    def export_usb(self) -> None:
        session = self.ctx.actor()
        folder = QFileDialog.getExistingDirectory(self, "选择U盘文件夹")
        if folder:
            self._answer(sync_actions.export_usb(self.ctx.store, self.ctx.settings, session,
                                                 Path(folder)), None)

    def import_usb(self) -> None:
        session = self.ctx.actor()
        path, _ = QFileDialog.getOpenFileName(self, "选择上级系统的回执文件")
        if path:
            self._answer(sync_actions.import_usb(self.ctx.store, self.ctx.settings, session,
                                                 Path(path)), None)
