"""查一查 on the real window (pytest-qt, offscreen) over the real store: the welcome button,
the big keypad, the answer in plain words with the masked name and number, 开始认证 when
due, 返回, and the audit row. The size rules and the pixel readability check walk the
query scenarios of `kiosk screenshots` with every other screen."""

from __future__ import annotations

from test_resident_screens import GOOD, click, kiosk  # noqa: F401 - the window fixture

from kiosk.flow import events as ev
from kiosk.flow.states import State
from kiosk.store.audit import recent_audit
from kiosk.store.records import RosterEntry


def _roster(kiosk, **kw) -> None:  # noqa: F811
    kiosk.test_store.upsert_roster([RosterEntry(ref="r-1", id_number=GOOD, name="王淑芬", **kw)]
                                   ).result(timeout=30)


def _type(kiosk, number: str) -> None:  # noqa: F811
    keypad = kiosk.screens[State.QUERY_KEYPAD].keypad
    for ch in number:
        keypad.keys[ch].click()
    keypad.ok.click()


def _visible(screen) -> list[str]:
    return list(screen.choice_buttons)


def test_query_by_keypad_shows_the_answer_masked_and_audits_it(qtbot, kiosk) -> None:  # noqa: F811
    _roster(kiosk, last_certified_at="2026-02-03", last_channel="counter")
    welcome = kiosk.current_screen()
    assert _visible(welcome) == ["start", "query"]
    assert welcome.choice_buttons["query"].text() == "查一查"
    click(qtbot, kiosk, "query")
    assert kiosk.flow.state == State.QUERY_CARD and kiosk.ports.vision.mode == "card"
    assert _visible(kiosk.current_screen()) == ["use_keypad", "back"]
    click(qtbot, kiosk, "use_keypad")
    _type(kiosk, GOOD)
    qtbot.waitUntil(lambda: kiosk.flow.state == State.QUERY_RESULT, timeout=5000)
    screen = kiosk.current_screen()
    assert screen.title.text() == "今年已经认证了"
    body = screen.body.text().replace("\u2060", "")          # word joiners keep dates whole
    assert "是在柜台办的。" in body and "下次认证从2026年12月05日开始。" in body
    details = screen.details.text()
    assert "1101**********002X" in details and "王*芬" in details and GOOD not in details
    assert _visible(screen) == ["back"]                      # nothing to start: it is done
    said = [e.prompt for e in kiosk.runtime.effects_seen if isinstance(e, ev.Say)]
    assert said[-1] == "query_done_counter"

    def audited() -> bool:
        rows = kiosk.test_store.read(lambda c: recent_audit(c, limit=1))
        return bool(rows) and rows[0].action == "resident.queried"
    qtbot.waitUntil(audited, timeout=5000)
    click(qtbot, kiosk, "back")
    assert kiosk.flow.state == State.WELCOME
    assert screen.details.text() == "" and kiosk.screens[State.QUERY_KEYPAD].keypad.number == ""
    assert kiosk.test_store.read(
        lambda c: c.execute("SELECT count(*) FROM certifications").fetchone()[0]) == 0


def test_still_due_offers_start_which_goes_straight_to_confirm(qtbot, kiosk) -> None:  # noqa: F811
    click(qtbot, kiosk, "query")
    kiosk.runtime.dispatch(ev.CardRead(ev.ResidentIdentity(GOOD, "王淑芬", "card")))
    qtbot.waitUntil(lambda: kiosk.flow.state == State.QUERY_RESULT, timeout=5000)
    screen = kiosk.current_screen()
    assert screen.title.text() == "还没有认证"
    assert "现在就可以办" in screen.body.text()
    assert _visible(screen) == ["start", "back"]
    assert [b.text() for b in screen.choice_buttons.values()] == ["开始认证", "返回"]
    click(qtbot, kiosk, "start")
    assert kiosk.flow.state == State.CONSENT
    click(qtbot, kiosk, "agree")
    assert kiosk.flow.state == State.CONFIRM_IDENTITY
    assert "1101**********002X" in kiosk.screens[State.CONFIRM_IDENTITY].details.text()


def test_a_wrong_check_digit_on_the_query_keypad_is_told_calmly(qtbot, kiosk) -> None:  # noqa: F811
    click(qtbot, kiosk, "query")
    click(qtbot, kiosk, "use_keypad")
    _type(kiosk, GOOD[:17] + "1")
    screen = kiosk.current_screen()
    assert kiosk.flow.state == State.QUERY_KEYPAD
    assert screen.title.text() == "号码好像不对" and "最后一位" in screen.body.text()
