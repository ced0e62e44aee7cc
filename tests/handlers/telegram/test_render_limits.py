"""What the Renderer sends fits Telegram's limits: the strict emulator refuses anything else.

PTB's real `ExtBot` against the emulator; every test also checks that nothing was refused.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import AsyncIterator

import pytest
from PIL import Image as PILImage
from telegram.ext import ExtBot

from conversations.shared.replies import Button, Document, Image, MediaGroup
from handlers.telegram.render import Renderer, telegram_length
from tests.emulators.telegram import TOKEN, TelegramEmulator

CHAT = 7201
MB = 1024 * 1024


@pytest.fixture
async def renderer(emulator: TelegramEmulator) -> AsyncIterator[Renderer]:
    emulator.known_chats.add(str(CHAT))
    emulator.flood.enabled = False  # many messages at once; flood control has its own tests
    bot: ExtBot[None] = ExtBot(TOKEN, base_url=emulator.base_url, base_file_url=emulator.base_file_url)
    async with bot:
        yield Renderer(bot, CHAT)


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (width, height), (120, 110, 100)).save(out, "JPEG", quality=50)
    return out.getvalue()


def nothing_refused(emulator: TelegramEmulator) -> None:
    assert emulator.refused == [], [(c.method, r) for c, r in emulator.refused]


async def test_a_long_text_goes_as_several_messages_buttons_under_the_last(
    emulator: TelegramEmulator, renderer: Renderer
) -> None:
    verdicts = "\n".join(f"#{n}: kept, sharp, well lit, face {n % 7} degrees off" for n in range(200))
    buttons = ((Button("Choose a style", "x"),),)
    await renderer.text(verdicts, buttons)
    sent = emulator.calls_to(CHAT, "sendMessage")
    assert len(sent) == 3
    assert all(telegram_length(c.text) <= 4096 for c in sent)
    assert "\n".join(c.text for c in sent) == verdicts, "cut at line ends, nothing lost"
    assert [bool(c.buttons()) for c in sent] == [False, False, True]
    nothing_refused(emulator)


async def test_length_is_counted_in_utf16_units(emulator: TelegramEmulator, renderer: Renderer) -> None:
    await renderer.text("😀" * 3000, ())  # 3000 characters, 6000 UTF-16 units
    sent = emulator.calls_to(CHAT, "sendMessage")
    assert len(sent) == 2
    assert "".join(c.text for c in sent) == "😀" * 3000
    nothing_refused(emulator)


async def test_captions_are_trimmed_and_answers_shortened(
    emulator: TelegramEmulator, renderer: Renderer
) -> None:
    await renderer.image(Image(jpeg(64, 64), "a" * 1500))
    (photo,) = emulator.calls_to(CHAT, "sendPhoto")
    assert len(photo.text) == 1024
    assert photo.text.endswith("…")
    nothing_refused(emulator)


async def test_an_image_over_the_photo_limits_goes_as_a_document(
    emulator: TelegramEmulator, renderer: Renderer
) -> None:
    await renderer.image(Image(jpeg(6000, 4100), "#1 in full resolution", filename="headshot_01.jpg"))
    await renderer.image(Image(jpeg(2100, 100), "a banner"))  # ratio 21
    await renderer.image(Image(jpeg(2048, 2048), "fits"))
    assert [c.method for c in emulator.calls_to(CHAT)] == ["sendDocument", "sendDocument", "sendPhoto"]
    assert emulator.calls_to(CHAT)[0].params.get("caption") == "#1 in full resolution"
    nothing_refused(emulator)


async def test_an_album_with_an_oversized_image_goes_as_documents(
    emulator: TelegramEmulator, renderer: Renderer
) -> None:
    await renderer.media_group(MediaGroup((jpeg(512, 512), jpeg(6000, 4100)), ("#1", "#2")))
    await renderer.media_group(MediaGroup((jpeg(512, 512),), ("#3",)))  # a lone one is no group
    (album, lone) = emulator.calls_to(CHAT)
    assert album.method == "sendMediaGroup"
    assert [m["type"] for m in album.params["media"]] == ["document", "document"]
    assert lone.method == "sendPhoto"
    nothing_refused(emulator)


async def test_an_export_over_50_mb_goes_as_zips_that_each_open(
    emulator: TelegramEmulator, renderer: Renderer
) -> None:
    members = {f"member_{n:02d}.jpg": os.urandom(5 * MB) for n in range(12)}  # 60 MB in all
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    await renderer.document(Document(out.getvalue(), "acme_headshots.zip", "Acme: 12 finished members"))
    parts = emulator.calls_to(CHAT, "sendDocument")
    assert len(parts) == 2
    assert [c.text for c in parts] == ["Acme: 12 finished members (1/2)", "Acme: 12 finished members (2/2)"]
    unpacked: dict[str, bytes] = {}
    for call in parts:
        (data,) = call.files.values()
        assert len(data) <= 50 * MB
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked |= {name: archive.read(name) for name in archive.namelist()}
    assert unpacked == members
    nothing_refused(emulator)


async def test_any_other_file_over_50_mb_goes_in_numbered_pieces(
    emulator: TelegramEmulator, renderer: Renderer
) -> None:
    data = os.urandom(51 * MB)
    await renderer.document(Document(data, "export.csv"))
    parts = emulator.calls_to(CHAT, "sendDocument")
    assert b"".join(next(iter(c.files.values())) for c in parts) == data
    assert [c.text for c in parts] == ["(1/2)", "(2/2)"]
    nothing_refused(emulator)
