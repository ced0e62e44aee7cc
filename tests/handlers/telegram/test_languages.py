"""End to end in another language: a Telegram user whose app speaks Spanish goes from /start to
the album in Spanish, then switches to German with /language mid-session; the command menu is
registered per language. The real PTB client against the strict Bot API emulator, so every
translated message also has to fit Telegram's limits."""

from __future__ import annotations

import string
from pathlib import Path

from conversations.i18n import catalogues
from conversations.i18n.translate import translations, use_locale
from handlers.telegram.bot import COMMANDS
from tests.emulators.telegram import TelegramEmulator
from tests.handlers.telegram.conftest import Harness
from tests.handlers.telegram.helpers import reply_to, style_button, texts_to

MIN_CHUNK = 16
"""English left in a reply is found by the source sentences' literal pieces of this length."""


def english_pieces(locale: str) -> set[str]:
    """Literal pieces of every English sentence the locale translates differently: none of them
    may show up in a reply to a user reading `locale`."""
    from babel.messages.pofile import read_po

    with catalogues.TEMPLATE.open("rb") as fp:
        source = read_po(fp)
    catalogue = translations(locale)
    pieces: set[str] = set()
    for message in source:
        for english in (message.id,) if isinstance(message.id, str) else message.id:
            if not english or catalogue.gettext(english) == english:
                continue
            for text, *_ in string.Formatter().parse(english):
                pieces.update(p.strip() for p in text.split("\n") if len(p.strip()) >= MIN_CHUNK)
    return pieces


def english_in(texts: list[str], locale: str) -> list[str]:
    pieces = english_pieces(locale)
    return [piece for text in texts for piece in pieces if piece in text]


async def test_a_spanish_user_gets_the_album_in_spanish_and_switches_to_german(
    bot_harness: Harness, person_a_paths: list[Path]
) -> None:
    emu: TelegramEmulator = bot_harness.emulator
    menus = {str(c.params.get("language_code") or ""): c for c in emu.calls if c.method == "setMyCommands"}
    assert {"", "es", "pt", "de", "fr", "ru"} <= set(menus), "a command menu per language"
    with use_locale("es"):
        spanish_help = next(c for c in menus["es"].params["commands"] if c["command"] == "help")
        assert spanish_help["description"] == "Lo que sé hacer" != COMMANDS["help"]

    user = emu.user(2001, "Lucía", language_code="es")
    await user.send_text("/start")
    welcome = await reply_to(emu, user, "buenos selfies")
    assert "una sola persona" in welcome.text

    mark = len(emu.calls)
    await user.send_album([p.read_bytes() for p in person_a_paths], group_id="album-es")
    verdict = await reply_to(emu, user, "fotos buenas", after=mark)
    assert "6 de 6 fotos buenas" in verdict.text, verdict.text
    assert "Foto 4: La foto mide solo 330x512 píxeles" in verdict.text, "the engine's advice, translated"

    await user.press(verdict, verdict.button("elige un estilo")["callback_data"])
    picker = await reply_to(emu, user, "Elige un estilo (página 1 de 3)")
    assert picker.button("siguiente")
    assert picker.button("corporativo"), "style names are translated too"
    await user.press(picker, style_button(picker, "corporate"))
    preview = await reply_to(emu, user, "retoque", method="sendPhoto")
    await user.press(preview, preview.button("me gusta")["callback_data"])
    summary = await reply_to(emu, user, "¿Hacemos el pedido?")
    await user.press(summary, summary.button("generar mis retratos")["callback_data"])
    headline = await reply_to(emu, user, "están listos", wait_s=120)
    assert "retoques" in headline.text
    after_album = emu.calls.index(headline)
    buttons = await reply_to(emu, user, "¿Quieres más?", after=after_album)
    labels = [b["text"] for b in buttons.buttons()]
    assert {"Más como la #1", "Otro estilo", "Resolución completa"} <= set(labels)
    sheet = [c for c in emu.calls[after_album:] if c.method == "sendPhoto" and c.chat_id == str(user.id)]
    assert any("de un vistazo" in c.text for c in sheet), "the contact sheet's caption"
    everything = texts_to(emu, user)
    assert not english_in(everything, "es"), english_in(everything, "es")

    # Mid-session, /language: the buttons name each language in its own words.
    mark = len(emu.calls)
    await user.send_text("/language")
    choice = await reply_to(emu, user, "¿En qué idioma te escribo?", after=mark)
    assert "✓ Español" in [b["text"] for b in choice.buttons()]
    await user.press(choice, choice.button("deutsch")["callback_data"])
    await reply_to(emu, user, "Ab jetzt schreibe ich dir auf Deutsch", after=mark)
    mark = len(emu.calls)
    await user.send_text("/status")
    status = await reply_to(emu, user, "Album", after=mark)
    assert "wurde geliefert" in status.text, status.text
    await user.send_text("/help")
    await reply_to(emu, user, "So geht's", after=mark)
    assert not english_in(texts_to(emu, user, mark), "de")
