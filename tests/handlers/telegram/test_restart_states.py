"""The bot restarted with users in every conversation state: each carries on afterwards from
the message they were looking at, because the state is in the database, not in the process."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlmodel import select

from storage.models import SelfieSession, User
from tests.emulators.telegram import ApiCall, EmulatedUser, TelegramEmulator
from tests.handlers.telegram.conftest import Harness
from tests.handlers.telegram.helpers import reply_to, style_button


async def _to_verdict(emu: TelegramEmulator, user: EmulatedUser, photos: list[bytes]) -> ApiCall:
    await user.send_album(photos, group_id=f"set-{user.id}")
    return await reply_to(emu, user, "6 of 6 good photos")


async def _to_picker(emu: TelegramEmulator, user: EmulatedUser, photos: list[bytes]) -> ApiCall:
    verdict = await _to_verdict(emu, user, photos)
    await user.press(verdict, verdict.button("choose a style")["callback_data"])
    return await reply_to(emu, user, "Pick a style")


async def _to_preview(emu: TelegramEmulator, user: EmulatedUser, photos: list[bytes]) -> ApiCall:
    picker = await _to_picker(emu, user, photos)
    await user.press(picker, style_button(picker, "corporate"))
    return await reply_to(emu, user, "studio retouch", method="sendPhoto")


async def _to_summary(emu: TelegramEmulator, user: EmulatedUser, photos: list[bytes]) -> ApiCall:
    preview = await _to_preview(emu, user, photos)
    await user.press(preview, preview.button("looks good")["callback_data"])
    return await reply_to(emu, user, "Place the order?")


def _states(harness: Harness) -> dict[str, str]:
    with harness.db.session() as session:
        rows = session.exec(select(User.platform_user_id, SelfieSession.state).join(SelfieSession))
        return dict(rows.all())


async def test_every_state_survives_a_restart(bot_harness: Harness, person_a_paths: list[Path]) -> None:
    emu = bot_harness.emulator
    good = [p.read_bytes() for p in person_a_paths if p.name not in {"selfie_04.jpg", "selfie_07.jpg"}]
    names = ("collecting", "choosing", "previewing", "confirming", "queued", "delivered")
    collecting, choosing, previewing, confirming, queued, delivered = (
        emu.user(4100 + i, name) for i, name in enumerate(names)
    )

    await collecting.send_album(good[:3], group_id="half")
    await reply_to(emu, collecting, "3 of 6 good photos")
    picker = await _to_picker(emu, choosing, good)
    preview = await _to_preview(emu, previewing, good)
    summary = await _to_summary(emu, confirming, good)
    album_summary = await _to_summary(emu, delivered, good)
    await delivered.press(album_summary, album_summary.button("generate")["callback_data"])
    after_album = await reply_to(emu, delivered, "Want more?", wait_s=120)

    # The worker is stopped, so this order waits in the queue across the restart.
    assert bot_harness.runner is not None
    assert bot_harness.runner_task is not None
    bot_harness.runner.stop()
    await bot_harness.runner_task
    queued_summary = await _to_summary(emu, queued, good)
    await queued.press(queued_summary, queued_summary.button("generate")["callback_data"])
    await reply_to(emu, queued, "Position in the queue")
    await asyncio.sleep(0.5)
    before = _states(bot_harness)
    assert before == {
        "4100": "collecting",
        "4101": "choosing_style",
        "4102": "previewing",
        "4103": "confirming",
        "4104": "queued",
        "4105": "delivered",
    }

    await bot_harness.restart()
    mark = len(emu.calls)

    await collecting.send_album(good[3:], group_id="rest")
    await reply_to(emu, collecting, "6 of 6 good photos", after=mark)
    await choosing.press(picker, style_button(picker, "corporate"))
    await reply_to(emu, choosing, "studio retouch", method="sendPhoto", after=mark)
    await previewing.press(preview, preview.button("looks good")["callback_data"])
    await reply_to(emu, previewing, "Place the order?", after=mark)
    await confirming.press(summary, summary.button("generate")["callback_data"])
    await reply_to(emu, confirming, "Want more?", after=mark, wait_s=120)
    await reply_to(emu, queued, "Want more?", after=mark, wait_s=120)  # no action needed
    await delivered.press(after_album, after_album.button("full resolution")["callback_data"])
    await emu.wait_for(lambda c: c.method == "sendDocument" and c.chat_id == "4105", after=mark)

    headlines = [c for c in emu.calls if c.method == "sendMessage" and "photo retouches are ready" in c.text]
    assert sorted(str(c.chat_id) for c in headlines) == ["4103", "4104", "4105"], "one album each, none twice"
