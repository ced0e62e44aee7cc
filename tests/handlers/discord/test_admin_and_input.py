"""Server rules, DMs closed, bad attachments, and buttons that survive a restart."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from conversations.servers import messages as server_msg
from conversations.servers.settings import load_server_settings
from conversations.shared import messages as msg
from conversations.shared.callbacks import Action
from handlers.discord.components import action_of
from tests.emulators.discord import ChannelOption
from tests.handlers.discord.conftest import DiscordWorld


async def test_admin_limits_the_bot_to_one_channel(world: DiscordWorld) -> None:
    emu = world.emu
    admin, bob = world.member("ada", admin=True), world.member("bob")

    denied = await emu.slash(bob, world.general, "headshot", "quota", {"per_day": 5}, group="settings")
    assert (await world.answer(denied, "the refusal")).text() == server_msg.ADMIN_ONLY
    assert load_server_settings(world.db, "discord", str(world.guild)).daily_quota is None

    saved = await emu.slash(
        admin,
        world.general,
        "headshot",
        "channels",
        {"channel": ChannelOption(world.headshots)},
        group="settings",
    )
    shown = await world.answer(saved, "the saved settings")
    assert shown.ephemeral
    assert f"<#{world.headshots}>" in shown.text()

    refused = await emu.slash(bob, world.general, "headshot", "start")
    answer = await world.answer(refused, "the channel refusal")
    assert answer.ephemeral
    assert f"I don't answer in this channel. Try <#{world.headshots}>" in answer.text()
    assert emu.dm_channel_id(bob) is None, "no session was opened"

    started = await emu.slash(bob, world.headshots, "headshot", "start")
    assert "direct message" in (await world.answer(started, "the DM pointer")).text()
    dm = await world.dm_of(bob)
    assert "selfies" in (await world.next_bot_message(dm, 0, "the welcome")).text()


async def test_closed_dms_are_explained_privately(world: DiscordWorld) -> None:
    carol = world.member("carol", dms_open=False)
    started = await world.emu.slash(carol, world.general, "headshot", "start")
    answer = await world.answer(started, "the DMs-closed advice")
    assert answer.ephemeral
    assert "Privacy Settings" in answer.text()
    assert "Direct Messages" in answer.text()


async def test_bad_attachments_get_one_friendly_answer(
    world: DiscordWorld, person_a_paths: list[Path]
) -> None:
    emu = world.emu
    dave = world.member("dave")
    started = await emu.slash(dave, world.general, "headshot", "start")
    await world.answer(started, "the DM pointer")
    dm = await world.dm_of(dave)
    await world.next_bot_message(dm, 0, "the welcome")

    gif = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(gif, format="GIF")
    corrupt = person_a_paths[0].read_bytes()[:4000]
    huge = b"\xff\xd8" + bytes(world.settings.max_upload_bytes)
    await emu.send_message(
        dave,
        dm,
        attachments=[
            ("notes.txt", b"not a selfie"),
            ("dance.gif", gif.getvalue()),
            ("clip.mp4", b"\x00\x00\x00\x18ftypmp42"),
            ("huge.jpg", huge),
            ("broken.jpg", corrupt),
        ],
    )
    answer = await world.next_bot_message(dm, 1, "the answer to the bad files", within=30)
    text = answer.text()
    assert msg.UNSUPPORTED["file"] in text
    assert msg.UNSUPPORTED["animation"] in text
    assert msg.UNSUPPORTED["video"] in text
    assert "the limit is 25 MB" in text
    assert "Photo 1:" in text, "the corrupt JPEG got a verdict"
    assert len(emu.bot_messages(dm)) == 2, "one answer for the whole message"

    await emu.send_message(dave, dm, "here is my selfie")
    assert (await world.next_bot_message(dm, 2, "the text answer")).text() == msg.TEXT_NOT_PHOTO


async def test_buttons_work_after_a_restart_and_only_for_their_owner(world: DiscordWorld) -> None:
    emu = world.emu
    erin, mallory = world.member("erin"), world.member("mallory")
    asked = await emu.slash(erin, world.general, "headshot", "delete")
    question = await world.answer(asked, "the delete question")
    assert question.ephemeral
    keep = next(c for c in question.custom_ids() if action_of(c) == Action.DELETE_NO)

    await world.restart()
    assert emu.identified_count == 2

    forged = await emu.press(mallory, question, keep)
    refusal = await world.answer(forged, "the refusal of someone else's button")
    assert refusal.text() == msg.NOT_YOUR_BUTTON
    assert refusal.ephemeral

    pressed = await emu.press(erin, question, keep)
    answer = await world.answer(pressed, "the answer after the restart")
    assert answer.text() == msg.DELETE_KEPT
    assert emu.responses(pressed)[0]["type"] == 5, "acknowledged first, answered by a follow-up"


async def test_member_commands_answer_privately_in_the_server(world: DiscordWorld) -> None:
    emu = world.emu
    fay = world.member("fay")
    asked = await emu.slash(fay, world.general, "headshot", "status")
    answer = await world.answer(asked, "the status")
    assert answer.ephemeral
    assert answer.text() == msg.STATUS_EMPTY
    listed = await emu.slash(fay, world.general, "headshot", "styles")
    styles = await world.answer(listed, "the style list")
    assert styles.ephemeral
    assert all(t.label in styles.text() for t in world.conversation.services.engine.styles.list())
