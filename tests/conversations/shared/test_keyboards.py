"""Buttons fit every platform however long a style's name or label is."""

from __future__ import annotations

from conversations.shared.callbacks import Action, CallbackSigner
from conversations.shared.keyboards import LABEL_CHARS, ButtonMaker, style_from_arg, style_picker
from engine.styles import StyleTemplate, load_builtin_styles, parse_style
from tests.emulators import telegram_limits
from tests.emulators.discord import limits as discord_limits


def long_style() -> StyleTemplate:
    name = "a-very-long-custom-style-name-that-a-community-admin-might-pick2"
    assert len(name) == 64, "the longest name a style may have"
    spec = {
        "name": name,
        "label": "A Very Long Custom Style Label " * 4,
        "prompt": "a portrait photo of {subject}",
    }
    return parse_style(spec, builtin=False)


def test_a_64_character_style_name_fits_telegram_and_discord_buttons() -> None:
    styles = [long_style(), *load_builtin_styles()[:3]]
    make = ButtonMaker(CallbackSigner("k" * 48), "telegram", "123456789012", 2_147_483_647)
    _, keyboard = style_picker(make, styles, 0)
    buttons = [b for row in keyboard for b in row]
    for button in buttons:
        assert len(button.data.encode()) <= telegram_limits.CALLBACK_DATA_BYTES
        assert len(button.data) <= discord_limits.CUSTOM_ID_LIMIT
        assert len(button.label) <= LABEL_CHARS <= discord_limits.BUTTON_LABEL_LIMIT
    long_button = buttons[0]
    assert long_button.label.endswith("…")
    callback = make.signer.verify("telegram", "123456789012", long_button.data)
    assert callback.action == Action.PICK_STYLE
    assert style_from_arg(callback.arg, [s.name for s in styles]) == styles[0].name
    short = make.signer.verify("telegram", "123456789012", buttons[1].data)
    assert short.arg == styles[1].name, "short names travel as themselves"
