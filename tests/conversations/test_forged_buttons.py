"""Forged buttons, the attacker holding the real signing key (as once it leaks): data signed
for the attacker but naming someone else's session, job or team. Every kind of button must
re-check ownership, because ids are not secrets."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import select

from bot.jobs.queue import JobQueue
from bot.settings import Settings
from conversations.dialogue import Conversation
from conversations.servers.share import shared_result
from conversations.shared import messages as msg
from conversations.shared.callbacks import Action
from conversations.shared.events import ButtonPressed, ChatRef
from conversations.shared.keyboards import ButtonMaker, album_arg
from conversations.shared.replies import Document, Notice, Reply, Text
from conversations.shared.services import Services
from conversations.shared.states import DELIVERED
from conversations.teams import messages as tmsg
from conversations.teams.buttons import ANYONE, TeamButtonMaker
from engine.pipeline import EngineResources, load_engine_resources
from storage.database import Database
from storage.models import Job, JobState, Photo, Result, SelfieSession, Team, TeamMember, User
from storage.photos import LocalPhotoStore
from storage.teams import create_team

VICTIM, ATTACKER = "100", "666"
TEAM_CHAT = "-500"


@pytest.fixture(scope="module")
def engine() -> EngineResources:
    return load_engine_resources(min_selfies=2)


@dataclass
class World:
    conversation: Conversation
    db: Database
    store: LocalPhotoStore
    victim_id: int
    victim_session: int
    victim_job: str
    team: Team

    def attacker_chat(self, platform: str = "telegram", chat_id: str = ATTACKER) -> ChatRef:
        return ChatRef(platform, ATTACKER, chat_id, "Mallory", "en")

    def forge(self, action: Action, session_id: int, arg: str = "", platform: str = "telegram") -> str:
        """Data for `action` on `session_id`, validly signed for the attacker."""
        signer = self.conversation.signer
        return ButtonMaker(signer, platform, ATTACKER, session_id)("x", action, arg).data

    def forge_team(self, action: Action, arg: str = "", *, owner: str = ANYONE) -> str:
        assert self.team.id is not None
        return TeamButtonMaker(self.conversation.signer, "telegram", owner, self.team.id)(
            "x", action, arg
        ).data

    async def press(self, data: str, chat: ChatRef | None = None) -> list[Reply]:
        chat = chat or self.attacker_chat()
        return [r async for r in self.conversation.handle(chat, ButtonPressed(data))]

    def rows(self, kind: type[object]) -> list[object]:
        with self.db.session() as session:
            return list(session.exec(select(kind)))  # type: ignore[call-overload]


def _seed(db: Database, store: LocalPhotoStore) -> tuple[int, int, str, Team]:
    """The victim: a delivered album (two results on disk) and an open team order they run."""
    with db.session() as session:
        victim = User(platform="telegram", platform_user_id=VICTIM, display_name="Vic")
        discord_victim = User(platform="discord", platform_user_id=VICTIM, display_name="Vic")
        session.add_all([victim, discord_victim])
        session.flush()
        assert victim.id is not None
        assert discord_victim.id is not None
        row = SelfieSession(user_id=victim.id, chat_id=VICTIM, state=DELIVERED, style="corporate")
        session.add(row)
        session.flush()
        assert row.id is not None
        key = store.put_bytes(f"users/{victim.id}/sessions/{row.id}/01.jpg", b"selfie")
        session.add(Photo(session_id=row.id, user_id=victim.id, store_key=key, sha256="a" * 64, ok=True))
        job = Job(
            user_id=victim.id, session_id=row.id, platform="telegram", chat_id=VICTIM, style="corporate",
            state=JobState.DONE,
        )  # fmt: skip
        session.add(job)
        session.flush()
        for rank in (1, 2):
            image = Image.new("RGB", (64, 64), (40 * rank, 90, 120))
            result_key = store.put_image(f"users/{victim.id}/jobs/{job.id}/{rank:02d}.jpg", image)
            session.add(Result(job_id=job.id, rank=rank, store_key=result_key, params={"seed": 9}))
        row.data = {"job_id": job.id}
        session.add(row)
        # The same person's Discord album, for the share button.
        discord_row = SelfieSession(
            user_id=discord_victim.id,
            chat_id="dm-100",
            state=DELIVERED,
            style="avatar",
            data={"job_id": job.id},
        )
        session.add(discord_row)
        session.flush()
        ids = (victim.id, row.id, job.id, discord_row.id)
    team = create_team(
        db, name="Acme", platform="telegram", chat_id=TEAM_CHAT, organiser_id=ids[0], style="corporate",
        photos_per_member=2, deadline=None, params={"seed": 1},
    )  # fmt: skip
    return ids[0], ids[1], ids[2], team


@pytest.fixture
def world(tmp_path: Path, engine: EngineResources) -> Iterator[World]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path / "data", callback_secret=secrets.token_urlsafe(48), daily_quota=0
    )
    db = Database(settings.effective_database_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db.upgrade()
    store = LocalPhotoStore(settings.effective_photo_dir)
    conversation = Conversation(Services(settings, db, store, engine, JobQueue.embedded(settings, db)))
    victim_id, victim_session, victim_job, team = _seed(db, store)
    yield World(conversation, db, store, victim_id, victim_session, victim_job, team)
    db.dispose()


def _texts(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies if isinstance(r, Text | Notice)]


@pytest.fixture
async def attacker_session(world: World) -> AsyncIterator[int]:
    """The attacker's own delivered session, so "the session is theirs" checks pass."""
    chat = world.attacker_chat()
    [_ async for _ in world.conversation.handle(chat, ButtonPressed("junk"))]  # makes the user row
    with world.db.session() as session:
        user = session.exec(select(User).where(User.platform_user_id == ATTACKER)).one()
        assert user.id is not None
        row = SelfieSession(user_id=user.id, chat_id=ATTACKER, state=DELIVERED, style="corporate")
        session.add(row)
        session.flush()
        assert row.id is not None
        yield row.id


async def test_join_needs_the_teams_code_not_just_its_id(world: World) -> None:
    """The hole: a card-style Join signed for anyone with a team's numeric id joined it."""
    replies = await world.press(world.forge_team(Action.TEAM_JOIN))
    assert not world.rows(TeamMember), f"forged join without the code let the attacker in: {_texts(replies)}"
    await world.press(world.forge_team(Action.TEAM_JOIN, "aaaaaaaa"))
    assert not world.rows(TeamMember)
    replies = await world.press(world.forge_team(Action.TEAM_JOIN, world.team.code))
    assert len(world.rows(TeamMember)) == 1, "the real card's button (it carries the code) still works"


async def test_share_posts_only_the_pressing_members_own_result(world: World) -> None:
    """The Discord hole: a share re-signed with another member's session id posted their photo."""
    with world.db.session() as session:
        discord_row = session.exec(select(SelfieSession).where(SelfieSession.chat_id == "dm-100")).one()
    assert discord_row.id is not None
    common = {"session_id": discord_row.id, "rank": 1}
    stolen = shared_result(world.db, world.store, platform="discord", user_id=ATTACKER, **common)
    assert stolen is None
    own = shared_result(world.db, world.store, platform="discord", user_id=VICTIM, **common)
    assert own is not None
    assert own.image


async def test_more_like_and_full_resolution_on_someone_elses_album(
    world: World, attacker_session: int
) -> None:
    for action in (Action.MORE_LIKE, Action.FULL_RESOLUTION):
        arg = album_arg(1 if action == Action.MORE_LIKE else 0, world.victim_job)
        on_their_session = await world.press(world.forge(action, world.victim_session, arg))
        on_my_session = await world.press(world.forge(action, attacker_session, arg))
        for replies in (on_their_session, on_my_session):
            assert not [r for r in replies if isinstance(r, Document)], f"{action.name} sent their originals"
        assert msg.STALE_BUTTON in _texts(on_their_session)
    jobs = world.rows(Job)
    assert len(jobs) == 1, "no order was placed from the victim's result parameters"


async def test_style_pick_on_someone_elses_session(world: World) -> None:
    replies = await world.press(world.forge(Action.PICK_STYLE, world.victim_session, "corporate"))
    assert msg.STALE_BUTTON in _texts(replies)
    with world.db.session() as session:
        row = session.get(SelfieSession, world.victim_session)
        assert row is not None
        assert row.state == DELIVERED, "the victim's session did not move"


async def test_team_export_cancel_and_redo_need_the_organiser(world: World) -> None:
    chats = (world.attacker_chat(), world.attacker_chat(chat_id=TEAM_CHAT))
    for chat in chats:
        for data in (
            world.forge_team(Action.TEAM_EXPORT),
            world.forge_team(Action.TEAM_CANCEL),
            world.forge_team(Action.TEAM_REDO, "1", owner=ATTACKER),
        ):
            replies = await world.press(data, chat)
            assert tmsg.ONLY_ORGANISER in _texts(replies)
            assert not [r for r in replies if isinstance(r, Document)]
    assert len(world.rows(Team)) == 1, "the team order is still there"


async def test_delete_confirm_only_ever_deletes_the_presser(world: World) -> None:
    victims = ButtonMaker(world.conversation.signer, "telegram", VICTIM, 0)("x", Action.DELETE_YES).data
    assert msg.NOT_YOUR_BUTTON in _texts(await world.press(victims)), "signed for the victim, pressed by me"
    own = await world.press(world.forge(Action.DELETE_YES, 0))
    assert any("are deleted" in t for t in _texts(own))
    assert len(world.rows(Photo)) == 1
    assert len(world.rows(Result)) == 2
    assert world.store.exists(f"users/{world.victim_id}/sessions/{world.victim_session}/01.jpg")


async def test_delete_ends_the_teams_you_organise_and_forgets_your_name(world: World) -> None:
    """(Lifecycle, beside the delete button's forgery check.) The organiser's /delete ends
    their open team order: the members are told, their team data goes, and so does the
    organiser's display name."""
    await world.press(world.forge_team(Action.TEAM_JOIN, world.team.code))
    assert len(world.rows(TeamMember)) == 1
    victim = ChatRef("telegram", VICTIM, VICTIM, "Vic", "en")
    yes = ButtonMaker(world.conversation.signer, "telegram", VICTIM, 0)("x", Action.DELETE_YES).data
    await world.press(yes, victim)
    assert not world.rows(Team)
    assert not world.rows(TeamMember)
    told = [
        (out.chat_id, reply.text)
        for _platform, out in world.conversation.teams.pending
        for reply in out.replies
        if isinstance(reply, Text)
    ]
    assert (ATTACKER, tmsg.TEAM_CANCELLED_MEMBER.format(team="Acme")) in told
    with world.db.session() as session:
        user = session.get(User, world.victim_id)
        assert user is not None
        assert user.display_name == ""
