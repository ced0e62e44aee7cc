"""The bot within Discord's limits, through the real discord.py client and the strict emulator.

A 429 on one DM delays that DM only (discord.py sleeps `retry_after` and retries; the shared
courier posts each chat from its own queue, so another member's messages go out meanwhile);
a file over the upload limit goes in numbered parts; slow work is deferred at once and answered
by follow-up.
"""

from __future__ import annotations

import asyncio
import io
import os
import zipfile
from collections.abc import AsyncIterator

from conversations.shared.delivery import Outgoing
from conversations.shared.events import ChatRef, Event
from conversations.shared.replies import Document, Reply, Text
from handlers.discord.render import MAX_FILE_BYTES
from tests.handlers.discord.conftest import DiscordWorld


async def test_a_rate_limited_dm_waits_and_the_others_go_on(world: DiscordWorld) -> None:
    emu = world.emu
    held, free = emu.open_dm(world.member("held")), emu.open_dm(world.member("free"))
    emu.rate_limits.hold(f"POST /channels/{held}/messages", retry_after=1.5, times=1)
    queued = [
        Outgoing(str(held), (Text("held 1"), Text("held 2"))),
        Outgoing(str(free), (Text("free 1"),)),
    ]

    async def once(platform: str) -> list[Outgoing]:
        items = queued[:] if platform == "discord" else []
        queued.clear()
        return items

    world.conversation.courier.sources.append(once)
    await emu.wait_for(lambda: len(emu.bot_messages(held)) == 2, what="both held messages", within=30)
    free_messages = emu.bot_messages(free)
    assert [m.content for m in free_messages] == ["free 1"]
    assert [m.content for m in emu.bot_messages(held)] == ["held 1", "held 2"]
    assert emu.rate_limits.refused == [f"POST /channels/{held}/messages"]
    posted = [c for c in emu.calls if c.method == "POST" and c.path.endswith("/messages")]
    order = [c.path for c in posted if c.status != 429]
    assert order.index(f"/channels/{free}/messages") < order.index(f"/channels/{held}/messages")


async def test_an_export_over_the_upload_limit_goes_as_zips_that_each_open(world: DiscordWorld) -> None:
    emu = world.emu
    assert world.bot is not None
    dm = emu.open_dm(world.member("organiser"))
    members = {f"member_{n:02d}.jpg": os.urandom(3 * 1024 * 1024) for n in range(5)}  # 15 MiB
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    await world.bot.output(str(dm)).document(Document(out.getvalue(), "acme.zip", "Acme: 5 members"))
    messages = emu.bot_messages(dm)
    assert [m.content for m in messages] == ["Acme: 5 members (1/2)", "Acme: 5 members (2/2)"]
    unpacked: dict[str, bytes] = {}
    for message in messages:
        ((name, data),) = message.files.items()
        assert len(data) <= MAX_FILE_BYTES
        assert name.startswith("acme_part")
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked |= {n: archive.read(n) for n in archive.namelist()}
    assert unpacked == members
    assert not [c for c in emu.calls if c.status == 413]


async def test_slow_work_is_deferred_within_3_s_and_answered_by_follow_up(world: DiscordWorld) -> None:
    emu = world.emu
    alice = world.member("alice")
    conversation = world.conversation
    original, gate = conversation.handle, asyncio.Event()

    async def slow_handle(chat: ChatRef, event: Event) -> AsyncIterator[Reply]:
        await gate.wait()  # the work (verdicts, an export) takes as long as the test says
        async for reply in original(chat, event):
            yield reply

    conversation.handle = slow_handle  # type: ignore[method-assign]
    interaction = await emu.slash(alice, world.general, "headshot", "status")
    await emu.wait_for(lambda: emu.responses(interaction), what="the acknowledgement")
    assert [r["type"] for r in emu.responses(interaction)] == [5]  # deferred before the work
    emu.interactions[interaction]["created"] -= 10  # the work took 10 s, past the 3 s window
    gate.set()
    answer = await world.answer(interaction, "the status, by follow-up")
    assert answer.text()
    assert not emu.late_acks
