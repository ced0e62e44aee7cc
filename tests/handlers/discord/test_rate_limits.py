"""Discord's 429 on one DM delays that DM only; the courier's messages survive it, in order.

discord.py sleeps `retry_after` and retries a 429 itself; the shared courier posts each chat
from its own queue, so another member's messages go out meanwhile.
"""

from __future__ import annotations

from conversations.shared.delivery import Outgoing
from conversations.shared.replies import Text
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
