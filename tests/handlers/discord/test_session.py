"""A member's whole session through the real discord.py client: `/headshot start` in a server,
selfies in DMs, an avatar style from the select menu, the preview, the order, the album."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from conversations.shared.callbacks import Action
from conversations.shared.states import DELIVERED
from handlers.discord.components import action_of
from storage.models import ChatSettings, Job, JobState, SelfieSession, SharedPost
from tests.emulators.discord import ChannelOption, Message
from tests.handlers.discord.conftest import DiscordWorld


def button(message: Message, action: Action) -> str:
    """The custom_id of the button doing `action` on `message` (fails if there is none)."""
    found: list[str] = [b["custom_id"] for b in message.buttons() if action_of(b["custom_id"]) == action]
    assert found, f"no {action.name} button on {message.text()!r}: {[b['label'] for b in message.buttons()]}"
    return found[0]


async def test_member_gets_an_avatar_album_in_dms(world: DiscordWorld, person_a_paths: list[Path]) -> None:
    emu = world.emu
    admin = world.member("ada", admin=True)
    alice = world.member("alice")
    assert {c["name"] for c in emu.commands} == {"headshot", "team"}

    public = await emu.slash(
        admin,
        world.general,
        "headshot",
        "public",
        {"allowed": True, "channel": ChannelOption(world.showcase)},
        group="settings",
    )
    assert f"yes, in <#{world.showcase}>" in (await world.answer(public, "public posts allowed")).text()
    saved = await emu.slash(
        admin, world.general, "headshot", "styles", {"names": "all", "avatar_first": True}, group="settings"
    )
    assert "avatar styles first" in (await world.answer(saved, "settings saved")).text()

    started = await emu.slash(alice, world.general, "headshot", "start")
    pointer = await world.answer(started, "the pointer to DMs")
    assert emu.responses(started)[0]["type"] == 5  # deferred at once, answered by a follow-up
    assert pointer.ephemeral
    assert "direct message" in pointer.text()
    dm = await world.dm_of(alice)
    welcome = await world.next_bot_message(dm, 0, "the welcome")
    assert "selfies" in welcome.text()
    assert not any(m.files for m in emu.bot_messages(world.general)), "nothing public in the server"

    await emu.send_message(alice, dm, attachments=person_a_paths)
    verdicts = await world.next_bot_message(dm, 1, "the verdicts", within=60)
    assert "6 of 6 good photos" in verdicts.text(), verdicts.text()
    assert verdicts.text().count("Photo ") == 8, "a verdict for every attachment"
    assert len(emu.bot_messages(dm)) == 2, "one answer for the whole message"

    await emu.press(alice, verdicts, button(verdicts, Action.CHOOSE_STYLES))
    picker = await world.next_bot_message(dm, 2, "the style picker")
    [menu] = picker.selects()
    styles = world.conversation.services.engine.styles
    offered = [styles.get(_style_of(o["value"])) for o in menu["options"]]
    assert len(offered) == len(styles.list())
    assert offered[0].kind == "avatar", "the server asked for avatar styles first"
    avatar = next(t for t in offered if t.kind == "avatar")
    chosen = next(o["value"] for o in menu["options"] if _style_of(o["value"]) == avatar.name)

    await emu.choose(alice, picker, menu["custom_id"], [chosen])
    preview = await emu.wait_for(lambda: [m for m in emu.bot_messages(dm)[3:] if m.files], 60, "the preview")
    assert next(iter(preview[0].files)).endswith(".jpg")

    await emu.press(alice, preview[0], button(preview[0], Action.PREVIEW_OK))
    confirm = await emu.wait_for(
        lambda: [
            m for m in emu.bot_messages(dm) if any(action_of(c) == Action.CONFIRM for c in m.custom_ids())
        ],
        what="the order summary",
    )
    await emu.press(alice, confirm[0], button(confirm[0], Action.CONFIRM))
    progress = await emu.wait_for(
        lambda: [m for m in emu.bot_messages(dm) if "queue" in m.text() or "Making your" in m.text()],
        what="the progress message",
    )
    headline = await emu.wait_for(
        lambda: [m for m in emu.bot_messages(dm) if "photo retouches are ready" in m.text()], 90, "the album"
    )
    after = await emu.wait_for(
        lambda: [m for m in emu.bot_messages(dm) if m.custom_ids() and m.id > headline[0].id],
        what="the album's buttons",
    )
    assert progress[0].edits >= 1, "progress is edited in place"
    album = [m for m in emu.bot_messages(dm) if m.id > headline[0].id]
    files = [name for m in album for name in m.files]
    assert sum(name.startswith("headshot_") for name in files) == world.settings.album_size
    assert "contact_sheet.jpg" in files
    assert all(len(m.files) <= 10 for m in album)
    actions = {action_of(c) for c in after[-1].custom_ids()}
    assert {Action.MORE_LIKE, Action.ANOTHER_STYLE, Action.FULL_RESOLUTION} <= actions
    assert not emu.bot_messages(world.showcase), "nothing is posted publicly unless the member asks"

    await emu.wait_for(lambda: _album_delivered(world), what="the session marked delivered")
    before = len(emu.bot_messages(dm))
    await emu.press(alice, after[-1], button(after[-1], Action.FULL_RESOLUTION))
    originals = await emu.wait_for(
        lambda: [n for m in emu.bot_messages(dm)[before:] for n in m.files], what="the originals"
    )
    assert originals[0] == "headshot_01.jpg"

    shared = await emu.press(alice, after[-1], button(after[-1], Action.SHARE_AVATAR))
    assert "Posted your #1" in (await world.answer(shared, "the share confirmation")).text()
    [post] = emu.bot_messages(world.showcase)
    assert post.files
    assert f"<@{alice.id}>" in post.text()

    quota = await emu.slash(admin, world.general, "headshot", "quota", {"per_day": 1}, group="settings")
    await world.answer(quota, "quota saved")
    again = await emu.slash(alice, world.general, "headshot", "start")
    assert "today's 1 order" in (await world.answer(again, "the quota refusal")).text()

    with world.db.session() as session:
        job = session.exec(select(Job)).one()
        assert job.state == JobState.DONE
        assert job.platform == "discord"
        assert job.style == avatar.name
        assert len(session.exec(select(ChatSettings)).all()) == 2  # the server's settings and the DM's link

    # /delete takes the public post down with everything else (its record goes too).
    asked = await emu.slash(alice, world.general, "headshot", "delete")
    question = await world.answer(asked, "the delete question")
    yes = next(c for c in question.custom_ids() if action_of(c) == Action.DELETE_YES)
    done = await world.answer(await emu.press(alice, question, yes), "the deletion")
    assert done.text().startswith("Done:")
    assert emu.deleted == [post.id]
    assert not emu.bot_messages(world.showcase)
    with world.db.session() as session:
        assert not session.exec(select(SharedPost)).all()


def _album_delivered(world: DiscordWorld) -> bool:
    """The courier has recorded the delivery (it does so after the last message is posted)."""
    with world.db.session() as session:
        return session.exec(select(SelfieSession)).one().state == DELIVERED


def _style_of(data: str) -> str:
    return data.split(".")[3]
