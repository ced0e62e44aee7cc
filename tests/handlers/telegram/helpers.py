"""Small readers for the emulator's recorded calls, shared by the Telegram tests."""

from __future__ import annotations

from tests.emulators.telegram import ApiCall, EmulatedUser, TelegramEmulator

SEND_METHODS = ("sendMessage", "sendPhoto", "sendMediaGroup", "sendDocument")


async def reply_to(
    emulator: TelegramEmulator,
    user: EmulatedUser,
    contains: str,
    *,
    method: str = "sendMessage",
    after: int = 0,
    wait_s: float = 60.0,
) -> ApiCall:
    """The first message to `user` of `method` whose text or caption contains `contains`."""
    return await emulator.wait_for(
        lambda c: c.method == method and c.chat_id == str(user.id) and contains.lower() in c.text.lower(),
        after=after,
        wait_s=wait_s,
    )


def style_button(call: ApiCall, style: str) -> str:
    for button in call.buttons():
        parts = button["callback_data"].split(".")
        if parts[1] == "st" and parts[3] == style:
            return button["callback_data"]
    msg = f"no button for style {style!r}"
    raise AssertionError(msg)


def answers(emulator: TelegramEmulator, after: int = 0) -> list[str]:
    return [
        str(c.params.get("text", "")) for c in emulator.calls[after:] if c.method == "answerCallbackQuery"
    ]


def texts_to(emulator: TelegramEmulator, user: EmulatedUser, after: int = 0) -> list[str]:
    return [c.text for c in emulator.calls[after:] if c.chat_id == str(user.id) and c.method in SEND_METHODS]


async def place_order(
    emulator: TelegramEmulator, user: EmulatedUser, photos: list[bytes], style: str
) -> None:
    """Send `photos` as one album and walk the dialogue to a placed order: verdict, style
    picker, preview, confirmation."""
    await user.send_album(photos, group_id=f"order-{user.id}")
    verdict = await reply_to(emulator, user, "good photos. That is enough")
    await user.press(verdict, verdict.button("choose a style")["callback_data"])
    picker = await reply_to(emulator, user, "Pick a style")
    await user.press(picker, style_button(picker, style))
    preview = await emulator.wait_for(
        lambda c: c.method == "sendPhoto" and c.chat_id == str(user.id) and bool(c.buttons()), wait_s=120
    )
    await user.press(preview, preview.button("looks good")["callback_data"])
    summary = await reply_to(emulator, user, "Place the order?")
    await user.press(summary, summary.button("generate")["callback_data"])
