"""A member whose Discord speaks Brazilian Portuguese: the slash commands carry Portuguese names
and descriptions, and the whole session, from `/headshot start` to the album in DMs, is in
Portuguese. The real discord.py client against the strict emulator (limits included)."""

from __future__ import annotations

from pathlib import Path

from conversations.shared.callbacks import Action
from handlers.discord.components import action_of
from tests.handlers.discord.conftest import DiscordWorld
from tests.handlers.discord.test_session import button
from tests.handlers.telegram.test_languages import english_in


async def test_a_brazilian_member_is_answered_in_portuguese(
    world: DiscordWorld, person_a_paths: list[Path]
) -> None:
    emu = world.emu
    headshot = next(c for c in emu.commands if c["name"] == "headshot")
    assert headshot["name_localizations"]["pt-BR"] == "retrato"
    assert headshot["description_localizations"]["pt-BR"].startswith("Retratos profissionais")
    assert headshot["name_localizations"]["es-ES"] == headshot["name_localizations"]["es-419"] == "retrato"
    start = next(o for o in headshot["options"] if o["name"] == "start")
    assert start["name_localizations"]["de"] == "starten"
    assert "en-US" not in (headshot.get("name_localizations") or {}), "English is the default name"

    bia = world.member("bia", locale="pt-BR")
    started = await emu.slash(bia, world.general, "headshot", "start")
    pointer = await world.answer(started, "the pointer to DMs")
    assert "mensagem direta" in pointer.text(), pointer.text()
    dm = await world.dm_of(bia)
    welcome = await world.next_bot_message(dm, 0, "the welcome")
    assert "Boas selfies" in welcome.text(), welcome.text()

    await emu.send_message(bia, dm, attachments=person_a_paths)
    verdicts = await world.next_bot_message(dm, 1, "the verdicts", within=60)
    assert "6 de 6 fotos boas" in verdicts.text(), verdicts.text()
    await emu.press(bia, verdicts, button(verdicts, Action.CHOOSE_STYLES))
    picker = await world.next_bot_message(dm, 2, "the style picker")
    [menu] = picker.selects()
    assert menu["placeholder"] == "Escolha um estilo"
    assert "Corporativo" in [o["label"] for o in menu["options"]]
    corporate = next(o["value"] for o in menu["options"] if o["label"] == "Corporativo")
    await emu.choose(bia, picker, menu["custom_id"], [corporate])
    preview = await emu.wait_for(lambda: [m for m in emu.bot_messages(dm)[3:] if m.files], 60, "the preview")
    await emu.press(bia, preview[0], button(preview[0], Action.PREVIEW_OK))
    confirm = await emu.wait_for(
        lambda: [
            m for m in emu.bot_messages(dm) if any(action_of(c) == Action.CONFIRM for c in m.custom_ids())
        ],
        what="the order summary",
    )
    assert "Fazer o pedido?" in confirm[0].text()
    await emu.press(bia, confirm[0], button(confirm[0], Action.CONFIRM))
    headline = await emu.wait_for(
        lambda: [m for m in emu.bot_messages(dm) if "estão prontos" in m.text()], 90, "the album"
    )
    after = await emu.wait_for(
        lambda: [m for m in emu.bot_messages(dm) if m.custom_ids() and m.id > headline[0].id],
        what="the album's buttons",
    )
    assert "Quer mais?" in after[-1].text()
    assert "Mais como o #1" in [b["label"] for b in after[-1].buttons()]
    said = [m.text() for m in emu.bot_messages(dm)] + [pointer.text()]
    assert not english_in(said, "pt_BR"), english_in(said, "pt_BR")

    # `/headshot language` in the server: the buttons, then Russian from here on.
    asked = await emu.slash(bia, world.general, "headshot", "language")
    choice = await world.answer(asked, "the language buttons")
    labels = [b["label"] for b in choice.buttons()]
    assert "✓ Português (Brasil)" in labels, labels
    russian = next(b["custom_id"] for b in choice.buttons() if b["label"] == "Русский")
    pressed = await emu.press(bia, choice, russian)
    switched = await world.answer(pressed, "the switch")
    assert "по-русски" in switched.text(), switched.text()
