"""The kiosk screen's automatic restarts, in words for the Today page of the staff console.

The supervisor (kiosk/deploy/supervisor.py) writes one event per restart; staff see how many
happened today and why, so a screen that keeps failing is reported instead of going unseen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from kiosk.staff.labels import to_local

REASON_ZH = {
    "crashed": "界面出错退出",
    "hung": "界面卡住没有响应",
    "never_started": "界面没能启动",
}


def restarts_today(events: Iterable[Mapping[str, Any]], today: dt.date) -> list[Mapping[str, Any]]:
    """The supervisor's restart events of the local day `today`, oldest first."""
    out = []
    for e in events:
        if e.get("event") not in ("restart", "give_up_startup"):
            continue
        try:
            day = to_local(str(e.get("at", ""))).date()
        except ValueError:
            continue
        if day == today:
            out.append(e)
    return out


def describe_restarts(events: Iterable[Mapping[str, Any]], today: dt.date) -> tuple[str, str]:
    """(text, role) for the Today page: how often the screen restarted today, and why."""
    todays = restarts_today(events, today)
    if not todays:
        return "今天屏幕没有自动重启。", "ok"
    counts: dict[str, int] = {}
    for e in todays:
        counts[str(e.get("reason", ""))] = counts.get(str(e.get("reason", "")), 0) + 1
    why = "，".join(f"{REASON_ZH.get(r, r or '原因不明')} {n} 次" for r, n in counts.items())
    last = todays[-1]
    when = to_local(str(last["at"])).strftime("%H:%M")
    detail = str(last.get("detail", ""))
    return (f"今天屏幕自动重启 {len(todays)} 次（{why}）。最近一次 {when}：{detail}。"
            "如果经常发生，请把 logs 文件夹交给技术支持。"), "warn"
