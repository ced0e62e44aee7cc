"""Team rows and their erasure: a member leaving, an order cancelled (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlmodel import select

from storage.database import Database
from storage.erasure import delete_team, delete_team_member_data
from storage.models import Job, Photo, Result, SelfieSession, Team, TeamMember, User
from storage.photos import LocalPhotoStore
from storage.teams import join_team, member_progress, open_team_in_chat, team_by_code
from tests.conversations.teams.team_rows import make_team


def _count(db: Database, model: type) -> int:
    with db.session() as session:
        return len(list(session.exec(select(model))))


def _files(store: LocalPhotoStore) -> int:
    return sum(1 for p in store.root.rglob("*") if p.is_file())


def test_join_is_idempotent_and_codes_find_open_teams(any_db: Database, photo_store: LocalPhotoStore) -> None:
    team = make_team(any_db, photo_store, [("Ann", "joined")])
    assert team.id is not None
    assert team_by_code(any_db, team.code.upper()) is not None
    assert open_team_in_chat(any_db, "telegram", "-5001") is not None
    user_id = member_progress(any_db, team.id)[0].member.user_id
    member, joined = join_team(any_db, team.id, user_id, "Ann again")
    assert not joined
    assert member.display_name == "Ann"


def test_member_leaves_with_team_data_only(any_db: Database, photo_store: LocalPhotoStore) -> None:
    team = make_team(any_db, photo_store, [("Ann", "picked"), ("Ben", "done")])
    assert team.id is not None
    ann = member_progress(any_db, team.id)[0].member.user_id
    with any_db.session() as session:
        personal = SelfieSession(user_id=ann, chat_id="1000", data={})
        session.add(personal)
    files = _files(photo_store)
    removed = delete_team_member_data(any_db, photo_store, team.id, ann)
    assert removed == 3  # one selfie, two results
    assert _files(photo_store) == files - 3
    assert [p.member.display_name for p in member_progress(any_db, team.id)] == ["Ben"]
    with any_db.session() as session:
        assert list(
            session.exec(select(SelfieSession.id).where(SelfieSession.user_id == ann))
        )  # personal kept
        assert not list(session.exec(select(Job).where(Job.user_id == ann)))
        assert not list(session.exec(select(Photo).where(Photo.user_id == ann)))


def test_cancel_removes_everyones_data(any_db: Database, photo_store: LocalPhotoStore) -> None:
    team = make_team(any_db, photo_store, [("Ann", "picked"), ("Ben", "ready"), ("Cy", "generating")])
    assert team.id is not None
    assert _files(photo_store) > 0
    delete_team(any_db, photo_store, team.id)
    assert _files(photo_store) == 0
    for model in (Team, TeamMember, SelfieSession, Photo, Job, Result):
        assert _count(any_db, model) == 0, model.__name__
    assert _count(any_db, User) == 4, "user rows stay (bans and quotas)"
