"""The adapter interface's shared half: replies drawn by kind, the courier round, progress ids.

A made-up platform ("web") with an output that records what it was asked to draw: what any
new adapter gets for free must work without Telegram or Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

from sqlmodel import select

from conversations.shared import sessions
from conversations.shared.coordination import LocalLeases
from conversations.shared.delivery import Outgoing
from conversations.shared.events import ChatRef
from conversations.shared.platform import PlatformLimits
from conversations.shared.replies import (
    Document,
    EditProgress,
    Image,
    Keyboard,
    MediaGroup,
    Notice,
    ProgressMessage,
    Reply,
    Text,
)
from handlers.platform import PlatformDriver, send_reply
from storage.database import Database
from storage.models import SelfieSession, Team, User

CHAT = ChatRef("web", "u1", "c1")


@dataclass
class RecordingOutput:
    drawn: list[str] = field(default_factory=list)
    fail_on: str = ""
    reposted_id: str = ""
    error: type[Exception] = ConnectionError

    def _draw(self, what: str) -> str:
        if what == self.fail_on:
            raise self.error(f"{what} failed")
        self.drawn.append(what)
        return f"m{len(self.drawn)}"

    async def text(self, text: str, buttons: Keyboard) -> str | None:
        return self._draw(f"text:{text}")

    async def image(self, image: Image) -> str | None:
        return self._draw(f"image:{image.caption}")

    async def media_group(self, group: MediaGroup) -> str | None:
        return self._draw(f"group:{len(group.images)}")

    async def document(self, document: Document) -> str | None:
        return self._draw(f"document:{document.filename}")

    async def progress(self, text: str, buttons: Keyboard) -> str | None:
        return self._draw(f"progress:{text}")

    async def edit_progress(self, message_id: str, text: str, buttons: Keyboard) -> str | None:
        self._draw(f"edit:{message_id}:{text}")
        return self.reposted_id or message_id

    async def notice(self, text: str) -> None:
        self._draw(f"notice:{text}")


@dataclass
class FakeCourier:
    items: list[Outgoing]
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    async def collect(self, platform: str, held: Collection[int] = ()) -> list[Outgoing]:
        self.calls.append(("collect", platform))
        return self.items

    async def reply_sent(self, item: Outgoing, count: int) -> None:
        self.calls.append(("reply_sent", count))

    async def sent(self, item: Outgoing) -> None:
        self.calls.append(("sent", item.entry_id))

    async def unsent(self, item: Outgoing, *, permanent: str | None = None) -> None:
        self.calls.append(("unsent", item.entry_id, permanent))


@dataclass
class FakeMetrics:
    counted: list[tuple[str, ...]] = field(default_factory=list)

    def count_verdict(self, code: str) -> None:
        self.counted.append(("verdict", code))

    def observe_reply(self, platform: str, seconds: float) -> None:
        self.counted.append(("reply", platform))

    def count_delivery(self, platform: str, outcome: str) -> None:
        self.counted.append(("delivery", platform, outcome))


@dataclass
class FakeServices:
    metrics: FakeMetrics = field(default_factory=FakeMetrics)


@dataclass
class FakeConversation:
    courier: FakeCourier
    services: FakeServices = field(default_factory=FakeServices)
    platforms: dict[str, PlatformLimits] = field(default_factory=dict)
    told: list[tuple[str, ...]] = field(default_factory=list)
    shared: SimpleNamespace = field(default_factory=lambda: SimpleNamespace(leases=LocalLeases()))

    def add_platform(self, limits: PlatformLimits) -> None:
        self.platforms[limits.platform] = limits

    async def progress_message_sent(self, chat: ChatRef, message_id: str) -> None:
        self.told.append(("sent", chat.chat_id, message_id))

    async def progress_message_moved(self, platform: str, chat_id: str, old_id: str, new_id: str) -> None:
        self.told.append(("moved", platform, chat_id, old_id, new_id))


@dataclass
class WebAdapter:
    out: RecordingOutput
    limits: PlatformLimits = field(default_factory=lambda: PlatformLimits("web", max_upload_bytes=1000))

    def output(self, chat_id: str) -> RecordingOutput:
        return self.out

    def refused_for_good(self, error: BaseException) -> str | None:
        return "blocked" if isinstance(error, PermissionError) else None


def driver_for(items: list[Outgoing], out: RecordingOutput) -> tuple[PlatformDriver, FakeConversation]:
    conversation = FakeConversation(FakeCourier(items))
    return PlatformDriver(cast("Any", conversation), WebAdapter(out)), conversation


async def test_each_reply_kind_reaches_its_method() -> None:
    out = RecordingOutput()
    replies: list[Reply] = [
        Text("hi"),
        Image(b"x", "#1"),
        MediaGroup((b"a", b"b")),
        Document(b"d", "a.zip"),
        ProgressMessage("queued"),
        EditProgress("7", "50%"),
        Notice("ok"),
    ]
    for reply in replies:
        await send_reply(out, reply)
    assert out.drawn == [
        "text:hi",
        "image:#1",
        "group:2",
        "document:a.zip",
        "progress:queued",
        "edit:7:50%",
        "notice:ok",
    ]


async def test_answer_reports_the_progress_message_and_times_the_first_reply() -> None:
    driver, conversation = driver_for([], RecordingOutput())
    assert conversation.platforms["web"].max_upload_bytes == 1000

    async def replies():  # type: ignore[no-untyped-def]
        yield Text("placed")
        yield ProgressMessage("queued")

    await driver.answer(CHAT, replies(), driver.adapter.output("c1"))
    assert conversation.told == [("sent", "c1", "m2")]
    assert conversation.services.metrics.counted == [("reply", "web")]


async def test_a_courier_round_marks_each_reply_then_the_album() -> None:
    out = RecordingOutput(reposted_id="m9")
    album = Outgoing("c1", (EditProgress("5", "done"), Text("album"), Image(b"x", "#1")), entry_id=3)
    driver, conversation = driver_for([album], out)
    await driver.deliver_once()
    assert out.drawn == ["edit:5:done", "text:album", "image:#1"]
    calls = conversation.courier.calls
    assert calls == [("collect", "web"), ("reply_sent", 1), ("reply_sent", 2), ("reply_sent", 3), ("sent", 3)]
    assert conversation.told == [("moved", "web", "c1", "5", "m9")], "later edits go to the new message"
    assert conversation.services.metrics.counted == [("delivery", "web", "sent")]


async def test_a_failed_post_leaves_the_album_for_the_next_round() -> None:
    out = RecordingOutput(fail_on="text:album")
    album = Outgoing("c1", (Image(b"x", "#1"), Text("album")), entry_id=4)
    driver, conversation = driver_for([album], out)
    await driver.deliver_once()
    assert conversation.courier.calls == [("collect", "web"), ("reply_sent", 1), ("unsent", 4, None)]
    assert conversation.services.metrics.counted == [("delivery", "web", "failed")]


async def test_a_refusal_for_good_closes_the_album() -> None:
    out = RecordingOutput(fail_on="text:album")
    out.error = PermissionError
    album = Outgoing("c1", (Text("album"),), entry_id=5)
    driver, conversation = driver_for([album], out)
    await driver.deliver_once()
    assert conversation.courier.calls[-1] == ("unsent", 5, "blocked")


def test_a_reposted_progress_message_is_remembered(sqlite_db: Database) -> None:
    with sqlite_db.session() as session:
        user = User(platform="web", platform_user_id="u1")
        session.add(user)
        session.flush()
        assert user.id is not None
        session.add(SelfieSession(user_id=user.id, chat_id="c1", state="queued", progress_message_id="5"))
        session.add(
            Team(
                name="Acme",
                code="abc123",
                platform="web",
                chat_id="c1",
                organiser_id=user.id,
                style="corporate",
                card_message_id="5",
            )
        )
    assert sessions.move_progress_message(sqlite_db, "web", "c1", "5", "9") == 2
    assert sessions.move_progress_message(sqlite_db, "telegram", "c1", "9", "10") == 0
    with sqlite_db.session() as session:
        assert session.exec(select(SelfieSession)).one().progress_message_id == "9"
        assert session.exec(select(Team)).one().card_message_id == "9"


@dataclass
class HeldOutput(RecordingOutput):
    """Chat "a" is held back by the platform (a 429 pause) until `release` is set."""

    chat_id: str = ""
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def text(self, text: str, buttons: Keyboard) -> str | None:
        if self.chat_id == "a":
            await self.release.wait()
        return self._draw(f"{self.chat_id}:{text}")


@dataclass
class PerChatAdapter(WebAdapter):
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def output(self, chat_id: str) -> RecordingOutput:
        return HeldOutput(drawn=self.out.drawn, chat_id=chat_id, release=self.release)


async def test_a_held_chat_delays_no_other_chat_and_keeps_its_order() -> None:
    courier = FakeCourier([Outgoing("a", (Text("1"),), entry_id=1), Outgoing("b", (Text("1"),), entry_id=2)])
    adapter = PerChatAdapter(RecordingOutput())
    driver = PlatformDriver(cast("Any", FakeConversation(courier)), adapter)
    drawn = adapter.out.drawn
    held: list[tuple[int, ...]] = []

    async def collect(platform: str, held_ids: Collection[int] = ()) -> list[Outgoing]:
        held.append(tuple(held_ids))
        items, courier.items = courier.items, []
        return items

    courier.collect = collect  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(driver.run_courier(0.01))
    try:
        await wait_until(lambda: drawn == ["b:1"])
        # Later rounds: b's next message goes out, a's second one queues behind its first; a's
        # album is reported as still being posted (its lease is renewed, not claimed anew), and
        # would not be queued twice if it came again.
        courier.items = [
            Outgoing("b", (Text("2"),)),
            Outgoing("a", (Text("2"),)),
            Outgoing("a", (Text("1"),), entry_id=1),
        ]
        await wait_until(lambda: drawn == ["b:1", "b:2"])
        adapter.release.set()
        await wait_until(lambda: len(drawn) == 4)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert drawn == ["b:1", "b:2", "a:1", "a:2"]
    assert (1,) in held
    sent = [c for c in courier.calls if c[0] == "sent"]
    assert sent == [("sent", 2), ("sent", None), ("sent", 1), ("sent", None)]


async def wait_until(condition: Callable[[], bool], wait_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + wait_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)
