"""Roster import (report first, then one transaction), reports (CSV/PDF) and settings
(admin only: the camera from the connected ones, speech, font scale, retention; thresholds
read-only; device check)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kiosk import paths
from kiosk.staff import reports, roster_import, settings_admin
from kiosk.staff.labels import LOCAL_TZ
from ui.staff.base import (
    ConsoleContext,
    button,
    fill,
    in_background,
    mount_page,
    page_frame,
    row,
    table,
    text,
)
from ui.staff.camera_chooser import CameraChooser
from ui.staff.pdf import write_report_pdf


class RosterPage(QWidget):
    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.report: roster_import.ImportReport | None = None
        page, layout = page_frame("名册导入")
        layout.addWidget(text("支持 CSV 和 Excel（.xlsx）。必须有“姓名”“身份证号”两列。"
                              "先检查，确认无误后才写入，全部成功或全部不写。", role="muted"))
        self.check_button = button("选择文件并检查", on_click=self.choose)
        self.apply_button = button("确认导入", kind="primary", on_click=self.apply)
        self.apply_button.setEnabled(False)
        layout.addLayout(row(self.check_button, self.apply_button))
        self.summary = text("")
        layout.addWidget(self.summary)
        self.problems = table(["行", "列", "问题"])
        self.problems.setMinimumHeight(360)
        layout.addWidget(self.problems)
        layout.addStretch(1)
        QVBoxLayout(self).addWidget(page)
        self.layout().setContentsMargins(0, 0, 0, 0)

    def refresh(self) -> None:
        pass

    def choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "选择名册文件", "",
                                              "名册 (*.csv *.xlsx)")
        if path:
            self.check(Path(path))

    def check(self, path: Path) -> None:
        self.summary.setText("正在检查……")
        self.apply_button.setEnabled(False)
        in_background(lambda: roster_import.validate_file(self.ctx.store, path), self._checked)

    def _checked(self, report: roster_import.ImportReport | None, error: Exception | None
                 ) -> None:
        if error is not None or report is None:
            self.summary.setText(f"无法读取：{error}")
            return
        self.show_report(report)

    def show_report(self, report: roster_import.ImportReport) -> None:
        self.report = report
        rows = [[str(p.line), p.column, p.message_zh] for p in report.errors]
        rows += [[str(o.line), "、".join(o.changes), f"将更新已有居民 {o.masked_id_number}"]
                 for o in report.overwrites]
        fill(self.problems, rows)
        self.summary.setText(report.summary_zh())
        self.apply_button.setEnabled(report.ok and bool(report.entries))
        self.apply_button.setText(f"确认导入（新增 {report.new}，更新 {len(report.overwrites)}）"
                                  if report.ok else "确认导入")

    def apply(self) -> None:
        if self.report is None or not self.report.ok:
            return
        report, session = self.report, self.ctx.actor()
        self.apply_button.setEnabled(False)
        in_background(lambda: roster_import.apply_import(self.ctx.store, report,
                                                         actor=session.actor), self._applied)

    def _applied(self, written: int | None, error: Exception | None) -> None:
        self.summary.setText(f"导入失败，未写入任何数据：{error}" if error
                             else f"已导入 {written} 条。")
        self.report = None


class ReportsPage(QWidget):
    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        page, layout = page_frame("统计报表")
        self.first, self.last = QDateEdit(), QDateEdit()
        for w in (self.first, self.last):
            w.setCalendarPopup(True)
            w.setDisplayFormat("yyyy-MM-dd")
        self.kind = QComboBox()
        self.kind.addItem("日报", "day")
        self.kind.addItem("月报", "month")
        layout.addLayout(row(text("从", wrap=False), self.first, text("到", wrap=False),
                             self.last, self.kind, button("查看", on_click=self.refresh)))
        self.table = table(reports.CSV_HEADER[:9])
        self.table.setMinimumHeight(380)
        layout.addWidget(self.table)
        self.export_csv = button("导出 CSV（管理员）", on_click=lambda: self.export("csv"))
        self.export_pdf = button("导出 PDF（管理员）", on_click=lambda: self.export("pdf"))
        self.export_csv.setEnabled(False)
        self.export_pdf.setEnabled(False)
        layout.addLayout(row(self.export_csv, self.export_pdf))
        layout.addWidget(text("通过率 = 通过 ÷ 全部认证；转介 = 转人工 + 上门认证申请。",
                              role="muted"))
        self.message = text("", role="muted")
        layout.addWidget(self.message)
        layout.addStretch(1)
        QVBoxLayout(self).addWidget(page)
        self.layout().setContentsMargins(0, 0, 0, 0)
        today = ctx.clock().astimezone(LOCAL_TZ).date()
        self.first.setDate(QDate(today.year, today.month, 1))
        self.last.setDate(QDate(today.year, today.month, today.day))

    def _range(self) -> tuple[dt.date, dt.date]:
        a, b = self.first.date(), self.last.date()
        return dt.date(a.year(), a.month(), a.day()), dt.date(b.year(), b.month(), b.day())

    def build(self) -> reports.Report:
        first, last = self._range()
        return reports.build_report(self.ctx.store, first, last,
                                    granularity=self.kind.currentData(),
                                    centre=self.ctx.settings.kiosk.centre_name)

    def refresh(self) -> None:
        report = self.build()
        fill(self.table, [reports.figures_row(f)[:9] for f in [*report.periods, report.totals]])
        admin = bool(self.ctx.session and self.ctx.session.is_admin)
        self.export_csv.setEnabled(admin)
        self.export_pdf.setEnabled(admin)

    def export(self, kind: str, target: Path | None = None) -> Path | None:
        session = self.ctx.actor()
        session.require_admin("report export")
        report = self.build()
        if target is None:
            name = f"report-{report.first:%Y%m%d}-{report.last:%Y%m%d}.{kind}"
            chosen, _ = QFileDialog.getSaveFileName(self, "保存报表",
                                                    str(paths.data_dir() / name))
            if not chosen:
                return None
            target = Path(chosen)
        if kind == "csv":
            reports.write_report_csv(report, str(target))
        else:
            write_report_pdf(report, target)
        self.ctx.store.audit(actor=session.actor, action="report.exported",
                             detail={"kind": kind, "from": report.first.isoformat(),
                                     "to": report.last.isoformat()})
        self.message.setText(f"已保存：{target.name}")
        return target


class SettingsPage(QWidget):
    """Admin only (the console hides it from operators)."""

    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        page, layout = page_frame("设置（管理员）")
        s = ctx.settings
        self.camera = CameraChooser(ctx)
        layout.addWidget(self.camera)
        layout.addWidget(text("声音、字体和照片", role="muted"))
        form = QFormLayout()
        self.rate = QSpinBox()
        self.rate.setRange(60, 300)
        self.rate.setValue(s.speech.rate)
        self.volume = QDoubleSpinBox()
        self.volume.setRange(0.0, 1.0)
        self.volume.setSingleStep(0.1)
        self.volume.setValue(s.speech.volume)
        self.font_scale = QDoubleSpinBox()
        self.font_scale.setRange(0.8, 2.0)
        self.font_scale.setSingleStep(0.1)
        self.font_scale.setValue(s.ui.font_scale)
        self.retention = QSpinBox()
        self.retention.setRange(0, 3650)
        self.retention.setValue(s.store.retention_days)
        form.addRow("语速（字/分）", self.rate)
        form.addRow("音量", self.volume)
        form.addRow("字体放大", self.font_scale)
        form.addRow("照片保留天数", self.retention)
        layout.addLayout(form)
        self.thresholds = text(settings_admin.thresholds_text(s), role="muted")
        layout.addWidget(self.thresholds)
        layout.addLayout(row(button("保存设置", kind="primary", on_click=self.save),
                             button("设备检查", on_click=self.device_check),
                             button("打印测试凭条", on_click=self.print_test_slip)))
        self.checks = table(["项目", "状态", "说明"])
        self.checks.setMinimumHeight(260)
        layout.addWidget(self.checks)
        self.message = mount_page(self, page, layout)

    def refresh(self) -> None:
        self.camera.find()

    def print_test_slip(self) -> None:
        from ui.slip_raster import print_test_slip

        self.message.setText(print_test_slip(self.ctx.settings.printer))

    def save(self) -> None:
        s = self.ctx.settings
        new = dataclasses.replace(
            s, speech=dataclasses.replace(s.speech, rate=self.rate.value(),
                                       volume=round(self.volume.value(), 2)),
            ui=dataclasses.replace(s.ui, font_scale=round(self.font_scale.value(), 2)),
            store=dataclasses.replace(s.store, retention_days=self.retention.value()))
        try:
            changed = settings_admin.save_settings(self.ctx.store, self.ctx.actor(), s, new)
        except (PermissionError, ValueError) as exc:
            self.message.setText(f"未保存：{exc}")
            return
        self.ctx.settings = new
        self.message.setText(f"已保存（{len(changed)} 项变更），重启安心认证后生效。"
                             if changed else "没有变更。")

    def device_check(self) -> None:
        self.message.setText("正在检查设备……")
        in_background(settings_admin.device_check, self.show_checks)

    def show_checks(self, results: list | None, error: Exception | None) -> None:
        if error is not None or results is None:
            self.message.setText(f"检查未完成：{error}")
            return
        fill(self.checks, [[r.name, settings_admin.CHECK_ZH.get(r.status, r.status), r.reason]
                           for r in results])
        self.message.setText("检查完成。")
