"""An album whose posting breaks half-way is finished later without re-sending what arrived;
one that meets Telegram's flood control (429) waits `retry_after` and goes on."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlmodel import select

from conversations.shared import messages as msg
from storage.models import OutboxEntry
from tests.emulators.telegram import ApiCall
from tests.handlers.telegram.conftest import Harness
from tests.handlers.telegram.helpers import reply_to, style_button


def _is_buttons_message(call: ApiCall) -> bool:
    return call.method == "sendMessage" and call.text == msg.AFTER_ALBUM


async def test_a_half_posted_album_resumes_where_it_stopped(
    bot_harness: Harness, person_a_paths: list[Path]
) -> None:
    bot_harness.settings = bot_harness.settings.model_copy(update={"outbox_lease_s": 1})
    await bot_harness.restart()
    emu = bot_harness.emulator
    # The album's last message (its buttons) fails the first time it is posted.
    emu.fail_when.append(_is_buttons_message)
    user = emu.user(3301, "Resume")
    await user.send_album([p.read_bytes() for p in person_a_paths], group_id="r")
    verdict = await reply_to(emu, user, "good photos")
    await user.press(verdict, verdict.button("choose a style")["callback_data"])
    picker = await reply_to(emu, user, "Pick a style")
    await user.press(picker, style_button(picker, "corporate"))
    preview = await reply_to(emu, user, "studio retouch", method="sendPhoto")
    await user.press(preview, preview.button("looks good")["callback_data"])
    summary = await reply_to(emu, user, "Place the order?")
    mark = len(emu.calls)
    await user.press(summary, summary.button("generate")["callback_data"])
    await emu.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == str(user.id), after=mark)
    emu.flood.hold(user.id, retry_after=1, times=2)  # the album's first two messages meet a 429
    await reply_to(emu, user, msg.AFTER_ALBUM, after=mark, wait_s=120)
    await asyncio.sleep(0.5)

    assert [c.text for c in emu.failed_calls] == [msg.AFTER_ALBUM]
    flood_refused = [c for c, (code, _) in emu.refused if code == 429 and c.chat_id == str(user.id)]
    assert len(flood_refused) == 2
    calls = emu.calls[mark:]
    assert sum(1 for c in calls if c.method == "sendMessage" and "photo retouches are ready" in c.text) == 1
    assert sum(1 for c in calls if c.method == "sendMediaGroup") <= 1
    assert sum(1 for c in calls if _is_buttons_message(c)) == 1
    with bot_harness.db.session() as session:
        (entry,) = session.exec(select(OutboxEntry)).all()
        assert entry.delivered_at is not None
        assert entry.payload["sent_replies"] >= 2
