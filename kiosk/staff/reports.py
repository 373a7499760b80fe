"""Daily and monthly reports, and the console's Today figures, straight from the store.

Counts by channel and result, pass rate (passed ÷ all decisions), mean duration
(finished − started, seconds) and referrals (certifications referred to staff, plus home
visits requested). Days are China days (UTC+8); synthetic records (`kiosk simulate`) are
left out unless asked. The CSV is UTF-8 with BOM so Excel opens it in Chinese; the PDF is
drawn by the Qt side from the same `Report`.

Today's device state comes from the selftest: `check_devices()` runs
`kiosk.selftest.run_checks` (seconds: it opens the camera and tries the speech engine) — call
it on a worker thread, never the GUI thread; `device_states()` turns its results (and the
printers Qt found, passed in by the UI) into name → (status, short Chinese text).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from kiosk.staff.labels import (
    CHANNEL_ZH,
    LOCAL_TZ,
    RESULT_ZH,
    day_bounds_utc,
    local_day,
    parse_utc,
)
from kiosk.store.database import Store
from kiosk.store.records import CHANNELS, RESULTS


@dataclass
class PeriodFigures:
    period: str                                   # 2025-03-01 | 2025-03 | 合计
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    durations: list[float] = field(default_factory=list)
    home_visits_requested: int = 0

    def count(self, *, channel: str | None = None, result: str | None = None) -> int:
        return sum(n for (c, r), n in self.counts.items()
                   if (channel is None or c == channel) and (result is None or r == result))

    @property
    def total(self) -> int:
        return self.count()

    @property
    def passed(self) -> int:
        return self.count(result="passed")

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.total if self.total else None

    @property
    def mean_duration_s(self) -> float | None:
        return sum(self.durations) / len(self.durations) if self.durations else None

    @property
    def referrals(self) -> int:
        return self.count(result="referred") + self.home_visits_requested

    def add(self, channel: str, result: str, duration: float) -> None:
        self.counts[(channel, result)] = self.counts.get((channel, result), 0) + 1
        self.durations.append(duration)


@dataclass
class Report:
    first: dt.date
    last: dt.date
    granularity: str                              # day | month
    centre: str
    periods: list[PeriodFigures]
    totals: PeriodFigures

    @property
    def title_zh(self) -> str:
        kind = "日报" if self.granularity == "day" else "月报"
        return f"{self.centre} 资格认证{kind} {self.first:%Y-%m-%d} 至 {self.last:%Y-%m-%d}"


def _period_key(day: dt.date, granularity: str) -> str:
    return day.isoformat() if granularity == "day" else f"{day:%Y-%m}"


def build_report(store: Store, first: dt.date, last: dt.date, *, granularity: str = "day",
                 centre: str = "", include_synthetic: bool = False) -> Report:
    """Every certification and home-visit request finished between the two local days."""
    if granularity not in ("day", "month"):
        raise ValueError("granularity is day or month")
    start, end = day_bounds_utc(first, last)
    synth = "" if include_synthetic else " AND synthetic = 0"
    certs = store.query("SELECT channel, result, started_at, finished_at FROM certifications"
                        f" WHERE finished_at >= ? AND finished_at < ?{synth}", (start, end))
    visits = store.query("SELECT requested_at FROM home_visits WHERE requested_at >= ?"
                         " AND requested_at < ?", (start, end))
    periods: dict[str, PeriodFigures] = defaultdict(lambda: PeriodFigures(""))
    totals = PeriodFigures("合计")
    for row in certs:
        key = _period_key(local_day(row["finished_at"]), granularity)
        duration = max(0.0, (parse_utc(row["finished_at"]) - parse_utc(row["started_at"])
                             ).total_seconds())
        for figures in (periods[key], totals):
            figures.add(row["channel"], row["result"], duration)
    for row in visits:
        key = _period_key(local_day(row["requested_at"]), granularity)
        periods[key].home_visits_requested += 1
        totals.home_visits_requested += 1
    ordered = []
    for key in sorted(periods):
        figures = periods[key]
        figures.period = key
        ordered.append(figures)
    return Report(first, last, granularity, centre, ordered, totals)


CSV_HEADER = (["时段", "合计", "通过", "未通过", "转人工", "中途退出", "通过率", "平均用时(秒)",
               "转介"] + [f"{CHANNEL_ZH[c]}·{RESULT_ZH[r]}" for c in CHANNELS
                                      for r in RESULTS])


def figures_row(f: PeriodFigures) -> list[str]:
    """One table row as text, shared by the CSV and the PDF."""
    rate = "" if f.pass_rate is None else f"{f.pass_rate * 100:.1f}%"
    mean = "" if f.mean_duration_s is None else f"{f.mean_duration_s:.0f}"
    return ([f.period, str(f.total), str(f.passed), str(f.count(result="failed")),
             str(f.count(result="referred")), str(f.count(result="abandoned")), rate, mean,
             str(f.referrals)]
            + [str(f.counts.get((c, r), 0)) for c in CHANNELS for r in RESULTS])


def csv_safe(text: str) -> str:
    """A cell Excel will not run as a formula: a leading = + - @ (or tab/CR) gets a quote."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_safe(report.title_zh)])
    writer.writerow(CSV_HEADER)
    for figures in [*report.periods, report.totals]:
        writer.writerow(figures_row(figures))
    return out.getvalue()


def write_report_csv(report: Report, path: str) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write(report_csv(report))


@dataclass(frozen=True)
class TodayFigures:
    certified: int
    failed: int
    referred: int
    home_visits_pending: int
    review_waiting: int
    outbox_pending: int
    last_sync_at: str
    last_sync_error: str


def today_figures(store: Store, *, today: dt.date | None = None) -> TodayFigures:
    """What the Today screen shows (one local day)."""
    today = today or dt.datetime.now(LOCAL_TZ).date()
    start, end = day_bounds_utc(today, today)
    counts = dict((r["result"], r["n"]) for r in store.query(
        "SELECT result, count(*) AS n FROM certifications WHERE finished_at >= ?"
        " AND finished_at < ? AND synthetic = 0 GROUP BY result", (start, end)))
    visits = store.query("SELECT count(*) AS n FROM home_visits"
                         " WHERE status IN ('requested','scheduled')")[0]["n"]
    from kiosk.staff.review import review_queue
    status = store.sync_status()
    return TodayFigures(counts.get("passed", 0), counts.get("failed", 0),
                        counts.get("referred", 0), visits, len(review_queue(store)),
                        status.pending, status.last_success_at, status.last_error)


# ---- Today page: device state ------------------------------------------------------------
class _Check(Protocol):
    name: str
    status: str
    reason: str


DEVICE_ZH = {"camera": "摄像头", "speech": "语音", "printer": "打印机"}
STATUS_ZH = {"ok": "正常", "warn": "注意", "fail": "故障", "unknown": "未检查"}

_CAMERA_ZH = {"ok": "有画面", "warn": "没有画面，可用键盘输入身份证号或由工作人员协助",
              "fail": "无法使用"}
_SPEECH_ZH = {"ok": "可以播报", "warn": "不能播报，只显示文字", "fail": "不能播报，只显示文字"}


def device_states(results: Iterable[_Check], printers: Sequence[str] | None = None,
                  default_printer: str = "") -> dict[str, tuple[str, str]]:
    """name -> (status, text) for camera, speech and (when `printers` is given) printer."""
    out: dict[str, tuple[str, str]] = {}
    for r in results:
        if r.name == "camera":
            size = r.reason.split(" gives ")[-1].split(" frames")[0] if r.status == "ok" else ""
            text = _CAMERA_ZH.get(r.status, r.status)
            out["camera"] = (r.status, f"{text} {size.replace('x', '×')}".strip())
        elif r.name == "speech":
            out["speech"] = (r.status, _SPEECH_ZH.get(r.status, r.status))
    if printers is not None:
        if printers:
            name = default_printer if default_printer in printers else printers[0]
            out["printer"] = ("ok", f"已连接：{name}")
        else:
            out["printer"] = ("warn", "未连接，凭条保存为PDF")
    return out


def check_devices(run: Callable[[], list] | None = None) -> list:
    """The selftest's results (slow: worker thread only)."""
    if run is None:
        from kiosk.selftest import run_checks
        run = run_checks
    return run()


def describe_devices(states: dict[str, tuple[str, str]]) -> str:
    """One line per device for the page: `摄像头：正常（有画面 640×480）` …"""
    parts = []
    for name in ("camera", "speech", "printer"):
        status, detail = states.get(name, ("unknown", ""))
        parts.append(f"{DEVICE_ZH[name]}：{STATUS_ZH.get(status, status)}"
                     + (f"（{detail}）" if detail else ""))
    return "\n".join(parts)
