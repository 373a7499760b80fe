"""Plain words for every reason code the card reader gives (for the screen and the voice).

The code itself goes to the log and the staff console; residents only see and hear these.
"""

from __future__ import annotations

REASON_MESSAGES: dict[str, str] = {
    "ok": "身份证已经读好了。",
    "no_card": "没有看到身份证。请把身份证平放在镜头下面。",
    "too_far": "身份证离得有点远，请再靠近镜头一点。",
    "tilted": "身份证有点斜，请把它放平。",
    "blurry": "看不太清楚。请拿稳身份证，先别动。",
    "glare": "身份证上有反光。请稍微挪一挪，或者换个角度。",
    "wrong_side": "请把身份证翻过来，有照片的一面朝上。",
    "wrong_side_back": "请把身份证翻过来，有国徽的一面朝上。",
    "partly_outside": "身份证有一部分出了画面，请放到中间来。",
    "moving": "请拿稳身份证，先别动。",
    "not_id_card": "这好像不是居民身份证。请换成您的身份证。",
    "photocopy": "这好像是复印件。请用身份证原件。",
    "unreadable": "身份证上的字没有看清楚。请重新放好，或者直接输入号码。",
    "number_unreadable": "身份证号码没有看清楚。请重新放好身份证，或者直接输入号码。",
    "id_number_invalid": "身份证号码没有通过核对。请重新放好身份证，或者直接输入号码。",
    "number_mismatch": "号码和出生日期或性别对不上。请重新放好身份证，或者直接输入号码。",
    "name_unclear": "姓名没有看清楚。请重新放好身份证，再试一次。",
    "back_unreadable": "背面的字没有看清楚。请重新放好身份证。",
    # chip reader
    "chip_ok": "身份证已经读好了。",
    "chip_read_failed": "身份证没有读出来。请把身份证平放在读卡器上，先别拿开。",
    "chip_number_invalid": "这张身份证的号码没有通过核对。请找工作人员帮您看一下。",
    "chip_expired": "身份证过了有效期，照常办理。",
    "chip_foreign_card": "这种证件请到柜台办理，工作人员会帮您。",
    "chip_card_swapped": "换了一张身份证，重新开始。",
    "reader_unplugged": "读卡器暂时用不了。请把身份证放在镜头下面，或者直接输入号码。",
}


def message_for(reason: str, *, want: str | None = None) -> str:
    """The resident-facing sentence for a reason code (a calm default for unknown codes)."""
    if reason == "wrong_side" and want == "back":
        reason = "wrong_side_back"
    return REASON_MESSAGES.get(reason, REASON_MESSAGES["unreadable"])
