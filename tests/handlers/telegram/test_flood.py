"""A 429 pauses only its chat: PTB's real `ExtBot` with our limiter against the strict emulator.

The emulator holds chat A (every message answered 429 with `retry_after`) while chat B is free;
B's messages must arrive while A's wait, and A's must arrive, in order, once A is released.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from handlers.telegram.bot import refused_for_good
from handlers.telegram.flood import ChatFloodLimiter
from tests.emulators.telegram import TOKEN, TelegramEmulator
from tests.handlers.telegram.conftest import Harness
from tests.handlers.telegram.helpers import reply_to

A, B = 7101, 7102


@pytest.fixture
async def known_chats(emulator: TelegramEmulator) -> TelegramEmulator:
    """The emulator, with A and B having written to the bot (so it may write back)."""
    emulator.known_chats.update({str(A), str(B)})
    return emulator


def ext_bot(emu: TelegramEmulator, limiter: ChatFloodLimiter) -> ExtBot[int]:
    return ExtBot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url, rate_limiter=limiter)


def texts(emu: TelegramEmulator, chat: int) -> list[str]:
    return [c.text for c in emu.calls_to(chat, "sendMessage")]


async def test_a_429_pauses_its_chat_only_and_keeps_the_order(known_chats: TelegramEmulator) -> None:
    emulator = known_chats
    limiter = ChatFloodLimiter()
    async with ext_bot(emulator, limiter) as bot:
        emulator.flood.hold(A, retry_after=1)
        first = asyncio.create_task(bot.send_message(A, "a1"))
        refused = await emulator.wait_for_refusal(lambda c, r: c.chat_id == str(A) and r[0] == 429)
        second = asyncio.create_task(bot.send_message(A, "a2"))

        await bot.send_message(B, "b1")  # goes through while A waits
        await bot.send_message(B, "b2")
        assert texts(emulator, B) == ["b1", "b2"]
        assert not first.done()
        assert not second.done()
        assert texts(emulator, A) == []

        emulator.flood.release(A)
        await asyncio.wait_for(asyncio.gather(first, second), 30)
    assert texts(emulator, A) == ["a1", "a2"]
    (a1, _a2) = emulator.calls_to(A, "sendMessage")
    assert a1.at - refused.at >= 1.0  # waited retry_after before trying again
    assert limiter.pauses >= 1


async def test_a_chat_held_too_long_raises_for_the_courier_to_retry_later(
    known_chats: TelegramEmulator,
) -> None:
    emulator = known_chats
    async with ext_bot(emulator, ChatFloodLimiter(max_wait_s=0.5)) as bot:
        emulator.flood.hold(A, retry_after=5)
        started = time.monotonic()
        with pytest.raises(RetryAfter) as raised:
            await bot.send_message(A, "later")
        assert time.monotonic() - started < 5  # did not sit out a pause longer than max_wait_s
        assert refused_for_good(raised.value) is None  # the outbox keeps the entry
        await bot.send_message(B, "still flowing")
    assert texts(emulator, B) == ["still flowing"]


async def test_calls_without_a_chat_are_not_held(known_chats: TelegramEmulator) -> None:
    emulator = known_chats
    async with ext_bot(emulator, ChatFloodLimiter()) as bot:
        emulator.flood.hold(A, retry_after=30)
        assert (await bot.get_me()).username
        await bot.answer_callback_query("1")


async def test_the_bot_answers_other_chats_while_one_is_flood_limited(bot_harness: Harness) -> None:
    emu = bot_harness.emulator
    held, free = emu.user(A, "Held"), emu.user(B, "Free")
    emu.flood.hold(A, retry_after=1)
    await held.send_text("/start")
    await emu.wait_for_refusal(lambda c, r: c.chat_id == str(A) and r[0] == 429)
    await free.send_text("/start")
    await reply_to(emu, free, "selfies into professional headshots")
    assert texts(emu, A) == []
    emu.flood.release(A)
    await reply_to(emu, held, "selfies into professional headshots")
    assert len(texts(emu, A)) == 1  # retried, not sent twice, not lost
