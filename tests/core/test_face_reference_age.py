"""A reference's age comes from the card's issue date: it reaches the flow's identity, the
match references, and the fusion rule (an old photo may refer, never accept alone)."""

from __future__ import annotations

import datetime as dt

from kiosk.face.translate import card_event
from kiosk.flow import events as ev
from kiosk.flow.states import State
from kiosk.idcard.card_reading import CardNumberRead
from kiosk.vision.decision import Band, ScoredReference, fuse, photo_age_years
from tests.core.flow_helpers import Driver

GOOD_ID = "11010519491231002X"
TODAY = dt.date(2026, 12, 2)


def test_photo_age_from_dates_unknown_when_missing_or_unreadable() -> None:
    assert photo_age_years("2006-12-02", TODAY) == (TODAY - dt.date(2006, 12, 2)).days / 365.25
    assert 19.9 < photo_age_years("2006-12-02", TODAY) < 20.1
    assert photo_age_years(dt.date(2026, 1, 1), TODAY) < 1
    assert photo_age_years("", TODAY) is None
    assert photo_age_years("长期", TODAY) is None
    assert photo_age_years("2030-01-01", TODAY) == 0.0           # never negative


def test_card_issue_date_reaches_the_flows_identity() -> None:
    read = card_event(CardNumberRead(GOOD_ID, "张三", None, "2006-12-02"))
    assert isinstance(read, ev.CardRead) and read.identity.portrait_date == "2006-12-02"
    d = Driver()
    d.touch("start", "agree")
    d.send(read)
    assert d.state == State.CONFIRM_IDENTITY
    assert d.flow.session.identity.portrait_date == "2006-12-02"
    assert d.flow.session.identity.id_number == GOOD_ID


def test_twenty_year_old_card_photo_refers_but_a_recent_roster_photo_accepts() -> None:
    band = Band(0.049, 0.034)
    old = photo_age_years("2006-12-02", TODAY)
    only_old = fuse([ScoredReference("card_portrait", 0.030, 90.0, old)], band)
    assert only_old.outcome == "review" and only_old.note == "reference_review_only:card_portrait"
    both = fuse([ScoredReference("card_portrait", 0.030, 90.0, old),
                 ScoredReference("enrolled", 0.040, 120.0, photo_age_years("2024-05-01",
                                                                            TODAY))], band)
    assert both.outcome == "accept" and both.reference == "enrolled"
