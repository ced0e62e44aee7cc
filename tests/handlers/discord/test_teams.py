"""A team order on Discord through the real discord.py client: `/team new` in a channel, the
card's Join button moving a member to DMs, selfies, album and pick there, the card edited in
the channel, managing refused to others, the export in the organiser's DMs."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from conversations.shared.callbacks import Action
from tests.emulators.discord import Message
from tests.handlers.discord.conftest import DiscordWorld


def team_button(message: Message, action: Action) -> str:
    found = [b["custom_id"] for b in message.buttons() if b["custom_id"].startswith(f"t1.{action.value}.")]
    assert found, f"no {action.name} button on {message.text()!r}"
    return str(found[0])


async def test_team_order_in_a_channel(world: DiscordWorld, person_a_paths: list[Path]) -> None:
    emu = world.emu
    olga, alice, bob = world.member("olga"), world.member("alice"), world.member("bob")

    await emu.slash(olga, world.general, "team", "new", {"name": "Photo Club", "photos": 2, "deadline": "2d"})
    card = await emu.wait_for(
        lambda: next(
            (m for m in emu.bot_messages(world.general) if "Team order: Photo Club" in m.text()), None
        ),
        what="the order card",
    )
    assert "Nobody has joined yet." in card.text()

    await emu.press(alice, card, team_button(card, Action.TEAM_JOIN))
    dm = await world.dm_of(alice)
    welcome = await world.next_bot_message(dm, 0, "the team welcome")
    assert "Welcome to the team order Photo Club" in welcome.text()
    await emu.wait_for(lambda: "alice: joined" in card.text().lower(), what="the card shows alice")

    await emu.send_message(alice, dm, attachments=person_a_paths)
    verdicts = await world.next_bot_message(dm, 1, "the verdicts", within=60)
    assert "6 of 6 good photos" in verdicts.text()
    await emu.wait_for(lambda: "selfies ready" in card.text(), what="the card shows the ready set")
    await emu.press(alice, verdicts, team_button(verdicts, Action.TEAM_GO))
    pick = await emu.wait_for(
        lambda: next((m for m in emu.bot_messages(dm) if "Tap your favourite" in m.text()), None),
        within=90,
        what="the album's pick buttons",
    )
    await emu.press(alice, pick, team_button(pick, Action.TEAM_PICK))
    await emu.wait_for(lambda: "done, favourite picked" in card.text(), what="the card shows the pick")
    assert "Done 1 of 1" in card.text()
    olga_dm = await world.dm_of(olga)
    await emu.wait_for(
        lambda: any("picked #1" in m.text() and m.files for m in emu.bot_messages(olga_dm)),
        what="the pick in the organiser's DMs",
    )

    refused = await emu.slash(bob, world.general, "team", "cancel")
    assert "Only the organiser" in (await world.answer(refused, "the refusal")).text()

    exported = await emu.slash(olga, world.general, "team", "export")
    assert "sent the export to you privately" in (await world.answer(exported, "the export notice")).text()
    zipped = await emu.wait_for(
        lambda: next((m for m in emu.bot_messages(olga_dm) if "Photo_Club.zip" in m.files), None),
        what="the ZIP in the organiser's DMs",
    )
    assert zipfile.ZipFile(io.BytesIO(zipped.files["Photo_Club.zip"])).namelist() == [
        "Photo_Club-Alice.jpg",
        "Photo_Club.csv",
    ]
    table = await emu.wait_for(
        lambda: next((m for m in emu.bot_messages(olga_dm) if "Photo_Club.csv" in m.files), None),
        what="the CSV in the organiser's DMs",
    )
    rows = list(csv.DictReader(io.StringIO(table.files["Photo_Club.csv"].decode())))
    assert [(r["name"], r["file"], r["status"]) for r in rows] == [
        ("Alice", "Photo_Club-Alice.jpg", "picked")
    ]
    assert not any(m.files for m in emu.bot_messages(world.general)), "no photo in the channel"


async def test_a_team_named_everyone_pings_nobody(world: DiscordWorld) -> None:
    emu = world.emu
    olga = world.member("olga")
    await emu.slash(olga, world.general, "team", "new", {"name": "@everyone", "photos": 2})
    await emu.wait_for(
        lambda: next((m for m in emu.bot_messages(world.general) if "@everyone" in m.text()), None),
        what="the order card",
    )
    posts = [
        c
        for c in emu.calls
        if c.method in {"POST", "PATCH"} and isinstance(c.body, dict) and "content" in c.body
    ]
    assert posts
    for call in posts:
        assert call.body.get("allowed_mentions") == {"parse": []}, f"{call.path} may ping: {call.body}"
