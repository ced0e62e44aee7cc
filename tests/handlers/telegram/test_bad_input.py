"""Input that is not a selfie gets one short, friendly answer and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from storage.models import Photo
from tests.handlers.telegram.conftest import Harness
from tests.handlers.telegram.helpers import reply_to


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("video", "Videos can't be used"),
        ("sticker", "Nice sticker"),
        ("voice", "can't listen to voice notes"),
        ("animation", "GIFs and animations can't be used"),
    ],
)
async def test_media_that_is_not_a_photo(bot_harness: Harness, kind: str, expected: str) -> None:
    user = bot_harness.emulator.user(2001)
    await user.send_media(kind)
    await reply_to(bot_harness.emulator, user, expected)


async def test_text_a_30_mb_file_a_pdf_and_a_corrupt_jpeg(
    bot_harness: Harness, person_a_paths: list[Path]
) -> None:
    emu = bot_harness.emulator
    user = emu.user(2002)
    await user.send_text("hello, here is my face")
    await reply_to(emu, user, "I need photos, not text")

    await user.send_document(None, file_name="huge.jpg", mime_type="image/jpeg", size=30 * 1024 * 1024)
    await reply_to(emu, user, "That file is 30 MB; the limit is 20 MB")
    assert not [c for c in emu.calls if c.method == "getFile"], "a file over the limit is never downloaded"

    await user.send_document(b"%PDF-1.4 not a photo", file_name="cv.pdf", mime_type="application/pdf")
    await reply_to(emu, user, "That file is not an image")

    corrupt = person_a_paths[0].read_bytes()[:3000]
    await user.send_document(corrupt, file_name="broken.jpg", mime_type="image/jpeg")
    verdict = await reply_to(emu, user, "good photos")
    assert verdict.text.startswith("Photo 1: ")
    assert "0 of 6 good photos" in verdict.text
    with bot_harness.db.session() as session:
        assert list(session.exec(select(Photo))) == [], "an unreadable upload is answered, not kept"

    await user.send_text("/frobnicate")
    await reply_to(emu, user, "I don't know that command")


async def test_an_uncompressed_image_document_counts_as_a_selfie(
    bot_harness: Harness, person_a_paths: list[Path]
) -> None:
    emu = bot_harness.emulator
    user = emu.user(2003)
    data = person_a_paths[0].read_bytes()
    await user.send_document(data, file_name="IMG_0001.JPG", mime_type="image/jpeg")
    verdict = await reply_to(emu, user, "good photos")
    assert "Photo 1: good." in verdict.text
    with bot_harness.db.session() as session:
        (photo,) = session.exec(select(Photo))
    stored = bot_harness.store.get_bytes(photo.store_key)
    assert b"Exif" not in stored[:4096], "stored without EXIF"


async def test_an_internal_failure_is_logged_and_answered_by_the_error_handler(
    bot_harness: Harness, person_a_paths: list[Path], caplog: pytest.LogCaptureFixture
) -> None:
    # The photo store cannot create its folders: a file sits where `users/` should be.
    root = bot_harness.settings.effective_photo_dir
    root.mkdir(parents=True, exist_ok=True)
    (root / "users").write_bytes(b"")
    emu = bot_harness.emulator
    user = emu.user(2004)
    await user.send_photo(person_a_paths[0].read_bytes())
    await reply_to(emu, user, "something went wrong on my side")
    assert any("error handling update" in r.getMessage() for r in caplog.records)


async def test_commands_help_styles_status_and_new(bot_harness: Harness, person_a_paths: list[Path]) -> None:
    emu = bot_harness.emulator
    user = emu.user(2005)
    await user.send_text("/status")
    await reply_to(emu, user, "No session yet")
    await user.send_text("/help")
    await reply_to(emu, user, "/delete")
    await user.send_text("/styles")
    styles = await reply_to(emu, user, "Styles you can choose:")
    assert styles.text.count("•") == len(bot_harness.engine.styles)
    await user.send_photo(person_a_paths[0].read_bytes())
    await reply_to(emu, user, "1 of 6 good photos")
    await user.send_text("/status")
    await reply_to(emu, user, "1 of 6 good photos. Send 5 more.")
    await user.send_text("/new")
    await reply_to(emu, user, "Fresh start")
    with bot_harness.db.session() as session:
        assert list(session.exec(select(Photo))) == []
    await user.send_text("/status")
    await reply_to(emu, user, "0 of 6 good photos")
