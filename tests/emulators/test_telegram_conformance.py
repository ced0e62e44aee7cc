"""The Telegram emulator refuses what the Bot API refuses, with Telegram's own answers.

Each test sends one violating call straight to the emulator over HTTP, the way any client
would, and checks the error code and description (see `telegram_limits` for the citations).
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from PIL import Image

from tests.emulators import telegram_limits as limits
from tests.emulators.telegram import TelegramEmulator

CHAT = 501


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    emu = TelegramEmulator()
    await emu.start()
    await emu.user(CHAT).send_text("/start")  # a chat exists once its user wrote to the bot
    try:
        yield emu
    finally:
        await emu.stop()


async def call(
    emu: TelegramEmulator, method: str, files: dict[str, bytes] | None = None, **params: Any
) -> dict[str, Any]:
    form = aiohttp.FormData()
    for key, value in params.items():
        form.add_field(key, json.dumps(value) if isinstance(value, dict | list) else str(value))
    for key, data in (files or {}).items():
        form.add_field(key, io.BytesIO(data), filename=f"{key}.bin")
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{emu.base_url}{emu.token}/{method}", data=form) as r,
    ):
        body: dict[str, Any] = await r.json()
        assert body.get("error_code", 200) == r.status or body["ok"]
        return body


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 90, 90)).save(out, "JPEG")
    return out.getvalue()


def refused(body: dict[str, Any], code: int, description_part: str) -> bool:
    return not body["ok"] and body["error_code"] == code and description_part in body["description"]


async def test_message_text_is_1_to_4096_characters(emulator: TelegramEmulator) -> None:
    assert (await call(emulator, "sendMessage", chat_id=CHAT, text="x" * 4096))["ok"]
    assert refused(await call(emulator, "sendMessage", chat_id=CHAT, text="x" * 4097), 400, "too long")
    assert refused(await call(emulator, "sendMessage", chat_id=CHAT, text=" "), 400, "text is empty")
    # Telegram counts UTF-16 code units: an emoji outside the BMP is two.
    assert refused(await call(emulator, "sendMessage", chat_id=CHAT, text="😀" * 2049), 400, "too long")


async def test_captions_are_at_most_1024_characters(emulator: TelegramEmulator) -> None:
    ok = await call(emulator, "sendPhoto", {"photo": jpeg(64, 64)}, chat_id=CHAT, caption="c" * 1024)
    assert ok["ok"]
    body = await call(emulator, "sendPhoto", {"photo": jpeg(64, 64)}, chat_id=CHAT, caption="c" * 1025)
    assert refused(body, 400, "caption is too long")


async def test_callback_data_is_1_to_64_bytes(emulator: TelegramEmulator) -> None:
    def markup(data: str) -> dict[str, Any]:
        return {"inline_keyboard": [[{"text": "Go", "callback_data": data}]]}

    assert (await call(emulator, "sendMessage", chat_id=CHAT, text="t", reply_markup=markup("d" * 64)))["ok"]
    body = await call(emulator, "sendMessage", chat_id=CHAT, text="t", reply_markup=markup("é" * 33))
    assert refused(body, 400, "BUTTON_DATA_INVALID")  # 66 bytes in UTF-8, though 33 characters
    body = await call(emulator, "sendMessage", chat_id=CHAT, text="t", reply_markup=markup(""))
    assert refused(body, 400, "BUTTON_DATA_INVALID")


async def test_inline_keyboard_of_more_than_100_buttons_is_refused(emulator: TelegramEmulator) -> None:
    rows = [[{"text": f"b{r}{c}", "callback_data": f"{r}:{c}"} for c in range(8)] for r in range(13)]
    body = await call(emulator, "sendMessage", chat_id=CHAT, text="t", reply_markup={"inline_keyboard": rows})
    assert refused(body, 400, "reply markup is too long")


async def test_media_groups_hold_2_to_10_items_of_compatible_types(emulator: TelegramEmulator) -> None:
    one = [{"type": "photo", "media": "attach://p0"}]
    files = {f"p{i}": jpeg(32, 32) for i in range(11)}
    body = await call(emulator, "sendMediaGroup", files, chat_id=CHAT, media=one)
    assert refused(body, 400, "2-10 items")
    eleven = [{"type": "photo", "media": f"attach://p{i}"} for i in range(11)]
    assert refused(await call(emulator, "sendMediaGroup", files, chat_id=CHAT, media=eleven), 400, "2-10")
    mixed = [{"type": "photo", "media": "attach://p0"}, {"type": "document", "media": "attach://p1"}]
    assert refused(
        await call(emulator, "sendMediaGroup", files, chat_id=CHAT, media=mixed), 400, "wrong media"
    )
    docs = [{"type": "document", "media": "attach://p0"}, {"type": "document", "media": "attach://p1"}]
    assert (await call(emulator, "sendMediaGroup", files, chat_id=CHAT, media=docs))["ok"]


async def test_send_photo_limits_size_sides_and_ratio(emulator: TelegramEmulator) -> None:
    sides = await call(emulator, "sendPhoto", {"photo": jpeg(6000, 4001)}, chat_id=CHAT)
    assert refused(sides, 400, "PHOTO_INVALID_DIMENSIONS")
    ratio = await call(emulator, "sendPhoto", {"photo": jpeg(2100, 100)}, chat_id=CHAT)
    assert refused(ratio, 400, "PHOTO_INVALID_DIMENSIONS")
    big = jpeg(64, 64) + b"\0" * (limits.PHOTO_BYTES + 1)
    assert refused(await call(emulator, "sendPhoto", {"photo": big}, chat_id=CHAT), 400, "too big")
    assert (await call(emulator, "sendPhoto", {"photo": jpeg(5000, 4999)}, chat_id=CHAT))["ok"]


async def test_uploads_are_at_most_50_mb(emulator: TelegramEmulator) -> None:
    huge = b"\0" * (limits.UPLOAD_BYTES + 1)
    assert refused(await call(emulator, "sendDocument", {"document": huge}, chat_id=CHAT), 413, "Too Large")


async def test_get_file_serves_at_most_20_mb(emulator: TelegramEmulator) -> None:
    file_id, _ = emulator.add_file(None, size=20 * 1024 * 1024 + 1)
    assert refused(await call(emulator, "getFile", file_id=file_id), 400, "file is too big")


async def test_editing_a_message_to_the_same_content_is_not_modified(emulator: TelegramEmulator) -> None:
    sent = await call(emulator, "sendMessage", chat_id=CHAT, text="Queued: 3rd")
    message_id = sent["result"]["message_id"]
    same = await call(emulator, "editMessageText", chat_id=CHAT, message_id=message_id, text="Queued: 3rd")
    assert refused(same, 400, "message is not modified")
    assert (await call(emulator, "editMessageText", chat_id=CHAT, message_id=message_id, text="Queued: 2nd"))[
        "ok"
    ]
    gone = await call(emulator, "editMessageText", chat_id=CHAT, message_id=999_999, text="x")
    assert refused(gone, 400, "message to edit not found")


async def test_a_user_who_blocked_the_bot_answers_403(emulator: TelegramEmulator) -> None:
    emulator.block(CHAT)
    body = await call(emulator, "sendMessage", chat_id=CHAT, text="hello")
    assert refused(body, 403, "bot was blocked by the user")


async def test_a_chat_that_never_wrote_to_the_bot_is_refused(emulator: TelegramEmulator) -> None:
    assert refused(await call(emulator, "sendMessage", chat_id=-777, text="hi"), 400, "chat not found")
    assert refused(await call(emulator, "sendMessage", chat_id=777, text="hi"), 403, "can't initiate")


async def test_flood_control_answers_429_with_retry_after(emulator: TelegramEmulator) -> None:
    emulator.flood.chat_burst = 0
    assert (await call(emulator, "sendMessage", chat_id=CHAT, text="one"))["ok"]
    body = await call(emulator, "sendMessage", chat_id=CHAT, text="two")
    assert refused(body, 429, "Too Many Requests: retry after")
    assert body["parameters"]["retry_after"] >= 1


async def test_groups_take_20_messages_a_minute(emulator: TelegramEmulator) -> None:
    group = -100
    chat = {"id": group, "type": "group", "title": "G"}
    sender = {"id": 5, "is_bot": False, "first_name": "A"}
    await emulator.push({"message": {"message_id": 1, "date": 0, "chat": chat, "from": sender, "text": "hi"}})
    for n in range(20):
        assert (await call(emulator, "sendMessage", chat_id=group, text=f"m{n}"))["ok"]
    assert refused(await call(emulator, "sendMessage", chat_id=group, text="m21"), 429, "retry after")


def test_overall_flood_limit_is_about_30_messages_a_second() -> None:
    flood = limits.FloodControl(chat_burst=100)
    assert all(flood.admit(str(chat), 1, now=10.0) is None for chat in range(30))
    assert flood.admit("31", 1, now=10.0) == 1
    assert flood.admit("31", 1, now=11.01) is None


async def test_command_lists_follow_set_my_commands_rules(emulator: TelegramEmulator) -> None:
    bad_name = await call(emulator, "setMyCommands", commands=[{"command": "Start", "description": "Go"}])
    assert refused(bad_name, 400, "BOT_COMMAND_INVALID")
    long_text = [{"command": "start", "description": "d" * 257}]
    assert refused(await call(emulator, "setMyCommands", commands=long_text), 400, "DESCRIPTION_INVALID")


async def test_callback_answers_are_at_most_200_characters(emulator: TelegramEmulator) -> None:
    body = await call(emulator, "answerCallbackQuery", callback_query_id="1", text="n" * 201)
    assert refused(body, 400, "MESSAGE_TOO_LONG")
