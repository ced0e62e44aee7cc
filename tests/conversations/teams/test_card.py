"""The order card: each member's status from their rows, who still has to act, no photos;
and the reminders before the deadline."""

from __future__ import annotations

from datetime import timedelta

from conversations.shared.callbacks import CallbackSigner
from conversations.teams import messages as tmsg
from conversations.teams.buttons import verify_team_data
from conversations.teams.card import card_buttons, card_text, member_status
from conversations.teams.courier import due_reminders
from storage.database import Database
from storage.models import utcnow
from storage.photos import LocalPhotoStore
from storage.teams import member_progress
from tests.conversations.teams.team_rows import STAGES, make_team


def test_every_stage_shows_on_the_card(sqlite_db: Database, photo_store: LocalPhotoStore) -> None:
    members = [(f"M-{stage}", stage) for stage in STAGES]
    team = make_team(sqlite_db, photo_store, members)
    assert team.id is not None
    progress = member_progress(sqlite_db, team.id)
    assert [member_status(p) for p in progress] == list(STAGES)
    text = card_text(team, "Olga", progress, "Corporate")
    assert "M-joined: joined, no selfies yet" in text
    assert "M-collecting: sending selfies" in text
    assert "M-ready: selfies ready" in text
    assert "M-generating: generating" in text
    assert "M-done: album delivered, choosing a favourite" in text
    assert "M-picked: done, favourite picked" in text
    assert "Done 1 of 6 · generating 1 · ready 1" in text
    assert "Still to act: M-joined, M-collecting, M-ready, M-done" in text


def test_card_buttons_anyone_may_press_but_not_forge(
    sqlite_db: Database, photo_store: LocalPhotoStore
) -> None:
    team = make_team(sqlite_db, photo_store, [])
    signer = CallbackSigner("secret")
    (join,), (export, cancel) = card_buttons(signer, team)
    assert join.deep_link == f"team_{team.code}"
    callback, is_card = verify_team_data(signer, "telegram", "anybody", export.data)
    assert is_card
    assert callback.session_id == team.id
    forged = export.data[:-2] + ("AA" if not export.data.endswith("AA") else "BB")
    try:
        verify_team_data(signer, "telegram", "anybody", forged)
    except ValueError:
        pass
    else:
        raise AssertionError("a forged card button was accepted")
    assert cancel.data != export.data


def test_reminders_once_to_those_who_still_have_to_act(
    sqlite_db: Database, photo_store: LocalPhotoStore
) -> None:
    now = utcnow()
    members = [("Ann", "joined"), ("Ben", "generating"), ("Cy", "done"), ("Di", "picked")]
    team = make_team(sqlite_db, photo_store, members, deadline=now + timedelta(hours=5))
    assert team.id is not None
    progress = member_progress(sqlite_db, team.id)
    window = timedelta(hours=24)
    due = due_reminders(team, progress, now, window)
    assert [(p.member.display_name, status) for p, status in due] == [("Ann", "joined"), ("Cy", "done")]
    assert not due_reminders(team, progress, now, timedelta(hours=1)), "too early"
    assert not due_reminders(team, progress, now + timedelta(hours=6), window), "deadline passed"
    team.params = {**team.params, "reminded": [p.member.id for p, _ in due]}
    assert not due_reminders(team, progress, now, window), "reminded once only"


def test_where_the_bot_cannot_write_first_the_card_asks_the_organiser_to_start_it(
    sqlite_db: Database, photo_store: LocalPhotoStore
) -> None:
    team = make_team(sqlite_db, photo_store, [])
    assert "/start" not in card_text(team, "Olga", [], "Corporate")
    text = card_text(team, "Olga", [], "Corporate", organiser_must_start=True)
    assert text.splitlines()[-1] == tmsg.CARD_ORGANISER_START
    assert "/start" in tmsg.CARD_ORGANISER_START
