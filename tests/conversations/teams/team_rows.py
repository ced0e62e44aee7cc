"""Rows of a team order at a chosen stage per member, for the card, export and erasure tests."""

from __future__ import annotations

from datetime import datetime

from PIL import Image

from storage.database import Database
from storage.models import Job, JobState, Photo, Result, SelfieSession, Team, TeamMember, User
from storage.photos import LocalPhotoStore
from storage.teams import create_team

STAGES = ("joined", "collecting", "ready", "generating", "done", "picked")


def make_team(
    db: Database,
    store: LocalPhotoStore,
    members: list[tuple[str, str]],
    *,
    name: str = "Acme Design",
    deadline: datetime | None = None,
    result_image: Image.Image | None = None,
) -> Team:
    """A team with one member per (display name, stage in `STAGES`); results are 1024 px flat
    colours unless `result_image` is given."""
    with db.session() as session:
        organiser = User(platform="telegram", platform_user_id="900", display_name="Olga")
        session.add(organiser)
        session.flush()
        assert organiser.id is not None
        organiser_id = organiser.id
    team = create_team(
        db,
        name=name,
        platform="telegram",
        chat_id="-5001",
        organiser_id=organiser_id,
        style="corporate",
        photos_per_member=2,
        deadline=deadline,
        params={"seed": 7, "style_label": "Corporate"},
    )
    assert team.id is not None
    for index, (display, stage) in enumerate(members):
        _member(db, store, team.id, 1000 + index, display, stage, result_image)
    return team


def _member(
    db: Database,
    store: LocalPhotoStore,
    team_id: int,
    uid: int,
    display: str,
    stage: str,
    result_image: Image.Image | None = None,
) -> None:
    with db.session() as session:
        user = User(platform="telegram", platform_user_id=str(uid), display_name=display)
        session.add(user)
        session.flush()
        assert user.id is not None
        member = TeamMember(team_id=team_id, user_id=user.id, display_name=display)
        session.add(member)
        row = SelfieSession(user_id=user.id, chat_id=str(uid), team_id=team_id, data={})
        session.add(row)
        session.flush()
        assert row.id is not None
        if stage == "joined":
            return
        key = store.put_bytes(f"users/{user.id}/sessions/{row.id}/01.jpg", b"jpeg")
        session.add(Photo(session_id=row.id, user_id=user.id, store_key=key, sha256="a" * 64, ok=True))
        row.data = {"ready": stage != "collecting"}
        if stage in {"collecting", "ready"}:
            session.add(row)
            return
        state = JobState.RUNNING if stage == "generating" else JobState.DONE
        job = Job(
            user_id=user.id, team_id=team_id, session_id=row.id, platform="telegram", chat_id=str(uid),
            style="corporate", state=state,
        )  # fmt: skip
        session.add(job)
        session.flush()
        row.state = "delivered" if stage in {"done", "picked"} else "generating"
        row.data = {**row.data, "job_id": job.id}
        session.add(row)
        if state != JobState.DONE:
            return
        results = []
        for rank in (1, 2):
            image = result_image or Image.new("RGB", (1024, 768), (40 * rank, 90, 120))
            result_key = store.put_image(f"users/{user.id}/jobs/{job.id}/{rank:02d}.jpg", image)
            result = Result(job_id=job.id, rank=rank, store_key=result_key, identity=0.9 - rank / 10)
            session.add(result)
            results.append(result)
        session.flush()
        if stage == "picked":
            member.pick_result_id = results[1].id
            session.add(member)
