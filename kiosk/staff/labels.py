"""Chinese words for the staff console and slips, reason catalogues, and local time.

Reasons are codes (they go into the audit log, the outbox and reports); the Chinese label is
only what a person reads. Times are stored as UTC ISO text and shown in China time (UTC+8)
on a kiosk whose clock may not know its own zone.
"""

from __future__ import annotations

import datetime as dt

from kiosk.china_time import LOCAL_TZ, local_day, parse_utc, to_local  # noqa: F401 - re-exported
from kiosk.store.privacy import mask_name  # noqa: F401 - re-exported

CHANNEL_ZH: dict[str, str] = {
    "kiosk_self": "自助刷脸",
    "counter_assisted": "窗口协助",
    "home_visit": "上门认证",
    "non_face": "非人脸认证",
}

# the roster's channel of a resident's last certification (kiosk/flow/query.CHANNELS)
ROSTER_CHANNEL_ZH: dict[str, str] = {
    "this_kiosk": "本机自助",
    "kiosk": "自助认证机",
    "counter": "柜台",
    "home_visit": "上门",
    "data_match": "县里数据比对",
}

RESULT_ZH: dict[str, str] = {
    "passed": "认证通过",
    "failed": "未通过",
    "abandoned": "中途退出",
    "referred": "转人工",
}

VISIT_STATUS_ZH: dict[str, str] = {
    "requested": "待安排",
    "scheduled": "已安排",
    "done": "已完成",
    "cancelled": "已取消",
}

VISIT_OUTCOME_ZH: dict[str, str] = {
    "certified_at_home": "上门认证通过",
    "not_at_home": "未遇本人",
    "deceased_reported": "报告已故（不认证）",
}

VISIT_REASON_ZH: dict[str, str] = {
    "bedridden": "长期卧床",
    "limited_mobility": "行动不便",
    "in_hospital": "住院",
    "face_failed": "刷脸多次未通过",
    "other": "其他",
}

REVIEW_APPROVE_ZH: dict[str, str] = {
    "verified_in_person": "工作人员当面核验为本人",
    "appearance_changed": "年老面貌变化，核对证件后确认本人",
    "old_reference_photo": "证件照片过旧，核对后确认本人",
    "camera_conditions": "光线或设备原因，核对后确认本人",
}

REVIEW_REJECT_ZH: dict[str, str] = {
    "not_same_person": "不是本人",
    "suspected_spoof": "疑似照片、屏幕或视频翻拍",
    "person_absent": "本人不在场",
    "needs_home_visit": "需上门认证",
    "other": "其他（见备注）",
}

ASSISTED_REASON_ZH: dict[str, str] = {
    "declined_face": "本人选择不刷脸",
    "face_failed": "刷脸多次未通过",
    "cannot_use_camera": "身体原因无法配合刷脸",
    "no_reference_photo": "无可比对的照片",
    "other": "其他（见备注）",
}

PROXY_RELATION_ZH: dict[str, str] = {
    "spouse": "配偶",
    "child": "子女",
    "grandchild": "孙子女",
    "sibling": "兄弟姐妹",
    "other_relative": "其他亲属",
    "carer": "护理人员",
}

ROLE_ZH: dict[str, str] = {"operator": "操作员", "supervisor": "主管", "admin": "管理员"}


def label(table: dict[str, str], code: str) -> str:
    """The Chinese label, or the code itself when it is not in the catalogue."""
    return table.get(code, code)


def fmt_local(text: str, *, seconds: bool = False) -> str:
    """`2025-03-01 09:30` in China time; empty text stays empty."""
    if not text:
        return ""
    return to_local(text).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def day_bounds_utc(first: dt.date, last: dt.date) -> tuple[str, str]:
    """UTC ISO bounds [start, end) covering local days first..last inclusive."""
    start = dt.datetime.combine(first, dt.time(), LOCAL_TZ).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), LOCAL_TZ
                              ).astimezone(dt.UTC)
    return start.isoformat(timespec="microseconds"), end.isoformat(timespec="microseconds")


