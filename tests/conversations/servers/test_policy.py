"""A server's rules are the dialogue's: styles offered, the quota before an order, sharing.

Applied before any button is signed (no keyboard round trip in the adapter), against a real
SQLite database.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conversations.servers import messages as server_msg
from conversations.servers.policy import ServerPolicy, SharePost
from conversations.servers.settings import link_chat, update_server_settings
from conversations.shared.callbacks import Action, Callback, CallbackSigner, peek
from conversations.shared.events import ChatRef
from conversations.shared.keyboards import ButtonMaker
from conversations.shared.replies import Text
from engine.styles import StyleLibrary
from storage.database import Database
from storage.models import Job, JobState, Result, SelfieSession, User
from storage.photos import LocalPhotoStore

DM = ChatRef("discord", "42", "dm-42")


@pytest.fixture
def policy(sqlite_db: Database, tmp_path: Path) -> ServerPolicy:
    return ServerPolicy(sqlite_db, LocalPhotoStore(tmp_path / "photos"), CallbackSigner("s"), default_quota=3)


def _member_with_album(db: Database, store: LocalPhotoStore, *, team_id: int | None = None) -> Job:
    with db.session() as session:
        user = User(platform="discord", platform_user_id="42")
        session.add(user)
        session.flush()
        assert user.id is not None
        row = SelfieSession(user_id=user.id, chat_id=DM.chat_id, state="delivered", style="anime")
        session.add(row)
        session.flush()
        job = Job(
            user_id=user.id,
            session_id=row.id,
            team_id=team_id,
            platform="discord",
            chat_id=DM.chat_id,
            style="anime",
            state=JobState.DONE,
        )
        session.add(job)
        session.flush()
        row.data = {"job_id": job.id}
        session.add(row)
        key = store.put_bytes(f"users/{user.id}/jobs/{job.id}/01.jpg", b"jpeg")
        session.add(Result(job_id=job.id, rank=1, store_key=key, width=1, height=1))
        return job


async def test_outside_a_server_nothing_changes(policy: ServerPolicy) -> None:
    styles = StyleLibrary.builtin().list()
    assert await policy.offered_styles(DM, styles) == styles
    assert await policy.order_refusal(DM) is None


async def test_the_server_chooses_styles_and_their_order(policy: ServerPolicy, sqlite_db: Database) -> None:
    library = StyleLibrary.builtin()
    update_server_settings(sqlite_db, "discord", "g1", styles=("corporate", "anime"), avatar_first=True)
    assert await policy.open_from_server(DM, "g1") is None
    offered = await policy.offered_styles(DM, library.list())
    assert [t.name for t in offered] == ["anime", "corporate"]


async def test_the_daily_quota_refuses_an_order(policy: ServerPolicy, sqlite_db: Database) -> None:
    update_server_settings(sqlite_db, "discord", "g1", daily_quota=1)
    link_chat(sqlite_db, "discord", DM.chat_id, "g1")
    assert await policy.order_refusal(DM) is None
    _member_with_album(sqlite_db, policy.store)  # type: ignore[arg-type]
    refusal = await policy.order_refusal(DM)
    assert refusal == server_msg.QUOTA_REACHED.singular.format(quota=1)
    assert await policy.open_from_server(DM, "g1") == refusal


async def test_channels_the_bot_answers_in(policy: ServerPolicy, sqlite_db: Database) -> None:
    assert await policy.channel_refusal("discord", "g1", "c1") is None
    update_server_settings(sqlite_db, "discord", "g1", channels=("c2",))
    assert await policy.channel_refusal("discord", "g1", "c2") is None
    assert "<#c2>" in (await policy.channel_refusal("discord", "g1", "c1") or "")


def _album_keyboard(policy: ServerPolicy, job: Job) -> list[Text]:
    make = ButtonMaker(policy.signer, "discord", "42", job.session_id or 0)
    album = [Text("ready"), Text("after", ((make("Full resolution", Action.FULL_RESOLUTION, "0"),),))]
    user = User(id=1, platform="discord", platform_user_id="42")
    return policy.album(job, user, 1, list(album))  # type: ignore[return-value]


async def test_the_share_button_and_the_post(policy: ServerPolicy, sqlite_db: Database) -> None:
    job = _member_with_album(sqlite_db, policy.store)  # type: ignore[arg-type]
    link_chat(sqlite_db, "discord", DM.chat_id, "g1")
    assert len(_album_keyboard(policy, job)[-1].buttons) == 1, "no public posts: no share button"

    update_server_settings(sqlite_db, "discord", "g1", public_results=True, share_channel="show")
    keyboard = _album_keyboard(policy, job)[-1].buttons
    [share] = keyboard[-1]
    assert share.label == server_msg.SHARE_BUTTON
    assert peek(share.data) == Callback(Action.SHARE_AVATAR, job.session_id or 0, "1")

    post = await policy.share(DM, share.data)
    assert post == SharePost("g1", "show", b"jpeg", "anime", 1)
    assert await policy.share(ChatRef("discord", "43", "dm-43"), share.data) == server_msg.SHARE_NOTHING

    update_server_settings(sqlite_db, "discord", "g1", public_results=False)
    assert await policy.share(DM, share.data) == server_msg.SHARE_NOT_ALLOWED


async def test_team_albums_get_no_share_button(policy: ServerPolicy, sqlite_db: Database) -> None:
    job = _member_with_album(sqlite_db, policy.store)  # type: ignore[arg-type]
    link_chat(sqlite_db, "discord", DM.chat_id, "g1")
    update_server_settings(sqlite_db, "discord", "g1", public_results=True, share_channel="show")
    job.team_id = 7
    assert len(_album_keyboard(policy, job)[-1].buttons) == 1
