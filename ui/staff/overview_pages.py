"""Today (the day's figures, the kiosk's notes for the staff, sync state and device state)
and Sync (status, sync now, USB).

Device state comes from the selftest (kiosk.staff.reports, run on the thread pool, never the
GUI thread); sync state from `store.sync_status()`. "立即同步" shows progress as it goes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QGridLayout, QLabel, QVBoxLayout, QWidget

from kiosk.deploy.supervisor import recent_events
from kiosk.staff import notes, reports, sync_actions
from kiosk.staff.labels import fmt_local
from kiosk.staff.restarts import describe_restarts
from kiosk.store.records import SyncStatus
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
from ui.staff.pdf import printer_names

TILE_MIN_H = 140       # caption (26 px) + figure (56 px) + margins
NOTES_EVERY_MS = 10_000   # the kiosk's notes are read again this often while Today is shown


def set_role(label: QLabel, role: str) -> None:
    """Change a label's look (warn/ok/muted) and make Qt re-apply the stylesheet."""
    label.setProperty("role", role)
    label.style().unpolish(label)
    label.style().polish(label)


def sync_lines(status: SyncStatus) -> tuple[str, str]:
    """(text, role) for the Today page: waiting records, last sync, last problem."""
    last = fmt_local(status.last_success_at) if status.last_success_at else "从未同步"
    lines = f"待同步记录：{status.pending} 条　上次同步成功：{last}"
    if status.last_error and status.consecutive_failures:
        when = fmt_local(status.last_error_at)
        lines += (f"\n最近问题（{when}）：{sync_actions.explain_error_zh(status.last_error)}。"
                  "数据都保存在本机，会自动再试。")
        return lines, "warn"
    return lines, "ok" if status.last_success_at else ""


class TodayPage(QWidget):
    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.checking = False
        page, self.layout_ = page_frame("今日概况")
        self.grid = QGridLayout()
        self.grid.setSpacing(16)
        self.layout_.addLayout(self.grid)
        self.sync_line = text("")
        self.devices = text("")
        self.restarts = text("")
        self.notes = text("")
        self.notes_upto = 0                             # newest note seq on the screen
        self.notes_reading = False
        self._notes_again = False
        self.seen_button = button("标为已看", on_click=self.mark_seen)
        self.seen_button.setVisible(False)
        for label in (self.sync_line, self.devices, self.restarts, self.notes):
            label.setContentsMargins(14, 6, 14, 6)     # inside the warn/ok frame
        self.check_button = button("重新检查设备", on_click=self.check_devices)
        self.layout_.addWidget(text("机器的提示（最新的在上）", role="muted"))
        self.layout_.addWidget(self.notes)
        self.layout_.addLayout(row(self.seen_button))
        self.layout_.addWidget(text("数据同步", role="muted"))
        self.layout_.addWidget(self.sync_line)
        self.layout_.addWidget(text("设备状态", role="muted"))
        self.layout_.addWidget(self.devices)
        self.layout_.addWidget(self.restarts)
        self.layout_.addLayout(row(self.check_button))
        self.layout_.addStretch(1)
        QVBoxLayout(self).addWidget(page)
        self.layout().setContentsMargins(0, 0, 0, 0)
        self.notes_timer = QTimer(self)
        self.notes_timer.setInterval(NOTES_EVERY_MS)
        self.notes_timer.timeout.connect(lambda: self.isVisible() and self.show_notes())
        self.notes_timer.start()

    def refresh(self) -> None:
        f = reports.today_figures(self.ctx.store, today=self.ctx.clock().astimezone(
            reports.LOCAL_TZ).date())
        clear_layout(self.grid)
        status = self.ctx.store.sync_status()
        tiles = [("今日认证通过", f.certified, "人"), ("今日未通过", f.failed, "人次"),
                 ("今日转人工", f.referred, "人次"), ("待审核", f.review_waiting, "条"),
                 ("上门认证待办", f.home_visits_pending, "户"),
                 ("待同步记录", status.pending, "条")]
        for i, (caption, value, unit) in enumerate(tiles):
            box = tile(caption, f"{value} {unit}")
            box.setMinimumHeight(TILE_MIN_H)           # the page scrolls; figures never clip
            self.grid.addWidget(box, i // 3, i % 3)
        self.show_notes()
        line, role = sync_lines(status)
        self.sync_line.setText(line)
        set_role(self.sync_line, role)
        line, role = describe_restarts(recent_events(2 * 86400.0), self.ctx.clock().astimezone(
            reports.LOCAL_TZ).date())
        self.restarts.setText(line)
        set_role(self.restarts, role)
        if not self.ctx.devices and not self.checking:
            self.check_devices()
        elif not self.checking:
            self.show_devices()

    def show_notes(self) -> None:
        """Read the kiosk's newest notes (CallStaff / StaffNote) on the thread pool (the audit
        log may be long) and show them, new ones highlighted."""
        if self.notes_reading:
            self._notes_again = True          # e.g. marked seen while a read was under way
            return
        self.notes_reading, self._notes_again = True, False
        store = self.ctx.store
        in_background(lambda: (notes.recent(store), notes.new_count(store)), self._notes_read)

    def _notes_read(self, result: tuple | None, error: Exception | None) -> None:
        self.notes_reading = False
        if self._notes_again:
            self.show_notes()
            return
        if error is not None or result is None:
            self.notes.setText(f"提示没有读出来：{error}")
            set_role(self.notes, "warn")
            return
        lines, count = result
        today = self.ctx.clock().astimezone(reports.LOCAL_TZ).date()
        fresh = [n for n in lines if not n.seen]
        self.notes_upto = max((n.seq for n in lines), default=0)
        if not lines:
            self.notes.setText("没有提示。")
        else:
            head = f"{count} 条新提示：" if count else "没有新提示。以前的提示："
            self.notes.setText("\n".join([head] + [("【新】" if not n.seen else "　　")
                                                  + n.text_zh(today) for n in lines]))
        set_role(self.notes, "warn" if fresh else ("ok" if lines else ""))
        self.seen_button.setVisible(bool(fresh))

    def mark_seen(self) -> None:
        notes.mark_seen(self.ctx.store, self.ctx.actor(), self.notes_upto)
        self.show_notes()

    def show_devices(self) -> None:
        states = self.ctx.devices
        self.devices.setText(reports.describe_devices(states))
        bad = any(states.get(n, ("unknown", ""))[0] in ("warn", "fail")
                  for n in ("camera", "speech", "printer"))
        set_role(self.devices, "warn" if bad else "ok")

    def check_devices(self) -> None:
        """The selftest on the thread pool; the page stays usable meanwhile."""
        if self.checking:
            return
        self.checking = True
        self.check_button.setEnabled(False)
        self.devices.setText("正在检查摄像头、语音和打印机……")
        set_role(self.devices, "")
        in_background(lambda: reports.check_devices(self.ctx.device_checks),
                      self._devices_done)

    def _devices_done(self, results: object, error: Exception | None) -> None:
        self.checking = False
        self.check_button.setEnabled(True)
        if error is not None:
            self.ctx.devices = {n: ("fail", "检查出错") for n in ("camera", "speech")}
        else:
            self.ctx.devices = reports.device_states(
                results, printers=printer_names(), default_printer=self.ctx.printer_name)
        self.show_devices()


class _Progress(QObject):
    """Carries progress text from the worker thread to the page (queued to the GUI thread)."""

    text = Signal(str)


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
        self.confirm_button = button("确认采用这份名册（管理员）", on_click=self.confirm_roster)
        self.quarantine = text("", role="muted")
        self.quarantine_button = button("导出无法上传记录的清单（给技术支持）",
                                        on_click=self.export_quarantine)
        # where the list goes: a folder dialog on the kiosk; a test passes a folder
        self.choose_folder = lambda: QFileDialog.getExistingDirectory(self, "选择U盘文件夹")
        self.progress = _Progress(self)
        self.progress.text.connect(self.result.setText, Qt.ConnectionType.QueuedConnection)
        layout.addWidget(self.status)
        layout.addLayout(row(self.sync_button, self.export_button, self.import_button))
        layout.addWidget(self.confirm_button)
        layout.addWidget(self.quarantine)
        layout.addWidget(self.quarantine_button)
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
        problem = (f"\n最近问题：{sync_actions.explain_error_zh(s.last_error)}"
                   if s.last_error and s.consecutive_failures else "")
        self.status.setText(
            f"状态：{state}\n待上传：{s.pending} 条　已确认：{s.acknowledged} 条　"
            f"名册版本：{s.roster_version}\n上次成功：{fmt_local(s.last_success_at) or '从未'}　"
            f"上次尝试：{fmt_local(s.last_attempt_at) or '从未'}{problem}"
            + sync_actions.quarantine_zh(self.ctx.store)
            + sync_actions.roster_confirmation_zh(self.ctx.store))
        admin = bool(self.ctx.session and self.ctx.session.is_admin)
        self.export_button.setEnabled(admin)
        pending = bool(sync_actions.roster_confirmation_zh(self.ctx.store))
        self.confirm_button.setVisible(pending)
        self.confirm_button.setEnabled(admin and pending)
        held = sync_actions.quarantine_rows_zh(self.ctx.store)
        self.quarantine.setText(held)
        self.quarantine.setVisible(bool(held))
        self.quarantine_button.setVisible(bool(held))

    def export_quarantine(self) -> None:
        session = self.ctx.actor()
        folder = self.choose_folder()
        if folder:
            self._answer(sync_actions.export_quarantine_list(self.ctx.store, session,
                                                             Path(folder)), None)

    def confirm_roster(self) -> None:
        self._answer(sync_actions.confirm_roster_deactivation(self.ctx.store, self.ctx.actor()),
                     None)

    def _answer(self, answer: object, error: Exception | None) -> None:
        self.sync_button.setEnabled(True)
        if error is not None:
            self.result.setText("未完成，数据仍安全保存在本机。")
        else:
            self.result.setText(answer.message_zh)  # type: ignore[attr-defined]
        self.refresh()

    def sync_now(self) -> None:
        session = self.ctx.actor()
        self.sync_button.setEnabled(False)
        self.result.setText("正在同步……")
        in_background(lambda: sync_actions.sync_now(self.ctx.store, self.ctx.settings, session,
                                                    progress=self.progress.text.emit),
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
