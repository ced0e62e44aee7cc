"""Every sentence fits the platforms' limits in every language: a translation runs longer than
its English (German, Russian), so the limits the strict emulators enforce are checked here for
all catalogues at once, with long values in the placeholders. The end-to-end tests in Spanish
and Portuguese then meet the same limits through the real clients."""

from __future__ import annotations

import string

import pytest

from conversations.i18n.translate import LOCALES, Plural, tr, tr_c, tr_n, use_locale
from conversations.servers import messages as server_msg
from conversations.shared import messages as msg
from conversations.shared.keyboards import LABEL_CHARS
from conversations.teams import messages as tmsg
from engine.styles import StyleLibrary
from handlers.discord.commands import MEMBER_COMMANDS
from handlers.discord.translator import COMMAND, NAMES
from handlers.telegram.bot import COMMANDS
from tests.emulators import telegram_limits as telegram
from tests.emulators.discord import limits as discord

FILLER = "W" * 24
"""What a placeholder is filled with: as long as a long team or member name."""

BUTTONS = (
    msg.DELETE_YES, msg.DELETE_NO, msg.PREVIOUS, msg.NEXT, msg.LOOKS_GOOD, msg.ANOTHER_STYLE, msg.CONFIRM,
    msg.BACK, msg.CANCEL_ORDER, msg.MORE_LIKE, msg.FULL_RESOLUTION, msg.STUDIO_ALBUM, msg.CHOOSE_STYLE,
    tmsg.JOIN, tmsg.EXPORT, tmsg.CANCEL_TEAM, tmsg.MAKE_TEAM_HEADSHOTS, tmsg.PICK, tmsg.LEAVE,
    tmsg.ASK_REDO, server_msg.SHARE_BUTTON,
)  # fmt: skip
CAPTIONS = (
    msg.PREVIEW_CAPTION, msg.PREVIEW_CAPTION_RETOUCH, msg.CONTACT_SHEET, msg.ORIGINAL, tmsg.ORGANISER_PICK,
    tmsg.EXPORT_CAPTION, tmsg.EXPORT_CSV_CAPTION, server_msg.SHARE_POST,
)  # fmt: skip
NOTICES = (
    msg.NOT_YOUR_BUTTON, msg.STALE_BUTTON, msg.NOT_NOW, msg.JOB_CANCELLED, tmsg.TEAM_UNKNOWN,
    tmsg.ONLY_ORGANISER, tmsg.EXPORT_SENT_PRIVATELY,
)  # fmt: skip


def filled(message: str | Plural, n: int = 99) -> list[str]:
    """Every form of `message` in the current locale, its placeholders filled with `FILLER`."""
    forms = [tr_n(message, count) for count in (1, 2, 5, n)] if isinstance(message, Plural) else [tr(message)]
    return [text.format_map(values(text)) for text in forms]


def values(text: str) -> dict[str, object]:
    """`FILLER` for every placeholder; a number where the placeholder formats one ('{x:.2f}')."""
    return {name: 0.98765 if spec else FILLER for _, name, spec, _ in string.Formatter().parse(text) if name}


def everything() -> list[str | Plural]:
    found: list[str | Plural] = []
    for module in (msg, tmsg, server_msg):
        for name, value in vars(module).items():
            if not name.isupper():
                continue
            if isinstance(value, str | Plural) and value:
                found.append(value)
            elif isinstance(value, dict):
                found.extend(v if isinstance(v, str) else v[1] for v in value.values())
    return found


@pytest.mark.parametrize("locale", LOCALES)
def test_messages_fit_a_discord_message(locale: str) -> None:
    """Discord's 2000 characters are the tighter text limit (Telegram's is 4096)."""
    with use_locale(locale):
        too_long = [t for m in everything() for t in filled(m) if len(t) > discord.CONTENT_LIMIT]
    assert not too_long


@pytest.mark.parametrize("locale", LOCALES)
def test_the_style_list_fits_one_message(locale: str) -> None:
    library = StyleLibrary.builtin()
    with use_locale(locale):
        lines = "\n".join(
            tr(msg.STYLE_LINE).format(label=tr(t.label), description=tr(t.description))
            for t in library.list()
        )
        text = tr(msg.STYLE_LIST).format(lines=lines)
    assert len(text) <= discord.CONTENT_LIMIT


@pytest.mark.parametrize("locale", LOCALES)
def test_buttons_captions_and_notices_fit(locale: str) -> None:
    library = StyleLibrary.builtin()
    with use_locale(locale):
        labels = [t for m in BUTTONS for t in filled(m, 12)]
        captions = [t for m in CAPTIONS for t in filled(m)]
        notices = [t for m in NOTICES for t in filled(m)]
        styles = [tr(t.label) for t in library.list()]
    assert all(len(t) <= discord.BUTTON_LABEL_LIMIT for t in labels), labels
    assert all(len(t) <= telegram.CAPTION_LIMIT for t in captions)
    assert all(len(t) <= telegram.CALLBACK_ANSWER_LIMIT for t in notices)
    assert all(len(t) <= LABEL_CHARS for t in styles), "a style's name fits a button uncut"
    assert len(tr(msg.CHOOSE_STYLE)) <= discord.PLACEHOLDER_LIMIT


@pytest.mark.parametrize("locale", LOCALES)
def test_command_menus_fit(locale: str) -> None:
    with use_locale(locale):
        telegram_menu = [tr(text) for text in COMMANDS.values()]
        discord_texts = [tr(text) for text in MEMBER_COMMANDS.values()]
        names = [tr_c(COMMAND, name) for name in NAMES]
    assert all(
        telegram.COMMAND_DESCRIPTION[0] <= len(t) <= telegram.COMMAND_DESCRIPTION[1] for t in telegram_menu
    )
    assert all(1 <= len(t) <= discord.COMMAND_DESCRIPTION_LIMIT for t in discord_texts)
    assert not [n for n in names if discord.invalid_commands([{"name": n, "description": "x"}])]
