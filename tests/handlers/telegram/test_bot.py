"""End to end: the real PTB Application against the Bot API emulator, the real engine
(dlib faces, preview backend) and the embedded job runner, on the real photos."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlmodel import select

from storage.models import Job, OutboxEntry, Photo, Result, SelfieSession
from tests.emulators.telegram import ApiCall, EmulatedUser, TelegramEmulator
from tests.handlers.telegram.conftest import Harness
from tests.handlers.telegram.helpers import answers, reply_to, style_button, texts_to


def _rows(harness: Harness, model: type) -> list[Any]:
    with harness.db.session() as session:
        return list(session.exec(select(model)))


async def progress_message(emu: TelegramEmulator, user: EmulatedUser, after: int = 0) -> ApiCall:
    """The order's progress message: queued (position) or already running (stage), by timing."""
    return await emu.wait_for(
        lambda c: (
            c.method == "sendMessage"
            and c.chat_id == str(user.id)
            and ("Position in the queue" in c.text or "Making your headshots" in c.text)
        ),
        after=after,
    )


def _files(harness: Harness) -> list[Path]:
    return [p for p in harness.settings.effective_photo_dir.rglob("*") if p.is_file()]


async def test_album_of_selfies_to_delivered_headshots(
    bot_harness: Harness, person_a_paths: list[Path]
) -> None:
    emu = bot_harness.emulator
    user = emu.user(1001, "Ada")
    await user.send_text("/start")
    welcome = await reply_to(emu, user, "good selfies")
    assert "one person" in welcome.text

    mark = len(emu.calls)
    await user.send_album([p.read_bytes() for p in person_a_paths], group_id="album-1")
    verdict = await reply_to(emu, user, "good photos", after=mark)
    assert "6 of 6 good photos" in verdict.text
    assert "Photo 4: The photo is only 330x512 pixels" in verdict.text
    assert verdict.text.count("Photo ") == 8, verdict.text
    await asyncio.sleep(1.0)
    assert sum("good photos" in t for t in texts_to(emu, user, mark)) == 1, "one answer per album"
    rows = _rows(bot_harness, Photo)
    assert len(rows) == 8
    assert all(p.store_key.startswith("users/") for p in rows)

    await user.press(verdict, verdict.button("choose a style")["callback_data"])
    picker = await reply_to(emu, user, "Pick a style (page 1 of 3)")
    assert picker.button("next")
    await user.press(picker, style_button(picker, "corporate"))
    preview = await reply_to(emu, user, "studio retouch", method="sendPhoto")
    assert preview.files, "the preview image was uploaded"

    await user.press(preview, preview.button("looks good")["callback_data"])
    summary = await reply_to(emu, user, "Place the order?")
    await user.press(summary, summary.button("generate")["callback_data"])
    progress = await progress_message(emu, user)
    progress_id = progress.result["message_id"]

    headline = await reply_to(emu, user, "photo retouches are ready", wait_s=120)
    after_album = emu.calls.index(headline)
    buttons = await reply_to(emu, user, "Want more?", after=after_album)
    posted = emu.calls[after_album : emu.calls.index(buttons)]
    groups = [c for c in posted if c.method == "sendMediaGroup"]
    assert groups, "the results went out as a media group"
    assert all(2 <= len(c.params["media"]) <= 10 for c in groups)
    assert all(len(c.files) == len(c.params["media"]) for c in groups), "every image uploaded"
    assert any("at a glance" in c.text for c in posted if c.method == "sendPhoto"), "contact sheet"
    labels = [b["text"] for b in buttons.buttons()]
    assert "More like #1" in labels
    assert "Another style" in labels
    assert "Full resolution" in labels
    edits = [
        c for c in emu.calls if c.method == "editMessageText" and int(c.params["message_id"]) == progress_id
    ]
    assert edits, "the progress message was edited in place"
    assert "100%" in edits[-1].text

    entries = _rows(bot_harness, OutboxEntry)
    assert len(entries) == 1
    await asyncio.sleep(0.5)
    assert _rows(bot_harness, OutboxEntry)[0].delivered_at is not None
    assert _rows(bot_harness, SelfieSession)[0].state == "delivered"

    mark = len(emu.calls)
    await user.press(buttons, buttons.button("full resolution")["callback_data"])
    document = await emu.wait_for(lambda c: c.method == "sendDocument", after=mark)
    assert document.files
    results = _rows(bot_harness, Result)
    assert sum(1 for c in emu.calls[mark:] if c.method == "sendDocument") >= 1
    assert len(results) >= 1

    # "More like #1" orders again with #1's seed; its album arrives once, like the first.
    mark = len(emu.calls)
    await user.press(buttons, buttons.button("more like #1")["callback_data"])
    await reply_to(emu, user, "Making more like #1", after=mark)
    await progress_message(emu, user, after=mark)
    second = await reply_to(emu, user, "Want more?", after=mark, wait_s=120)
    jobs = _rows(bot_harness, Job)
    assert len(jobs) == 2
    first_seed = _rows(bot_harness, Result)[0].params["seed"]
    assert any(job.seed == first_seed and job.params.get("more_like") for job in jobs)
    await asyncio.sleep(0.5)
    assert len(_rows(bot_harness, OutboxEntry)) == 2

    # The first album's "Full resolution" still sends the first album, not the newest one.
    store = bot_harness.store
    by_job: dict[str, set[bytes]] = {}
    for result in _rows(bot_harness, Result):
        by_job.setdefault(result.job_id, set()).add(store.get_bytes(result.store_key))
    first_job = next(job for job in jobs if not job.params.get("more_like"))
    newest_job = next(job for job in jobs if job.params.get("more_like"))
    assert by_job[first_job.id] != by_job[newest_job.id]
    mark = len(emu.calls)
    await user.press(buttons, buttons.button("full resolution")["callback_data"])
    await emu.wait_for(lambda c: c.method == "sendDocument", after=mark)
    await asyncio.sleep(0.5)
    sent = {data for c in emu.calls[mark:] if c.method == "sendDocument" for data in c.files.values()}
    assert sent == by_job[first_job.id]
    buttons = second

    # "Another style" keeps the photos and opens the picker again.
    await user.press(buttons, buttons.button("another style")["callback_data"])
    await reply_to(emu, user, "Pick a style", after=mark)

    # /delete asks first; the button erases every row and file of the user.
    await user.send_text("/delete")
    ask = await reply_to(emu, user, "Delete everything?")
    await user.press(ask, ask.button("yes")["callback_data"])
    await reply_to(emu, user, "records are deleted")
    for model in (Photo, Job, Result, SelfieSession, OutboxEntry):
        assert _rows(bot_harness, model) == [], model.__name__
    assert _files(bot_harness) == []


async def test_one_by_one_with_impostor_and_group_photo(
    bot_harness: Harness, person_a_paths: list[Path], faces_dir: Path
) -> None:
    emu = bot_harness.emulator
    user = emu.user(1002, "Bea")
    good = [p for p in person_a_paths if p.name not in {"selfie_04.jpg", "selfie_07.jpg"}]
    for index, path in enumerate(good[:3], start=1):
        mark = len(emu.calls)
        await user.send_photo(path.read_bytes())
        verdict = await reply_to(emu, user, "good photos", after=mark)
        assert f"Photo {index}: good." in verdict.text
        assert f"{index} of 6 good photos. Send at least {6 - index} more" in verdict.text

    mark = len(emu.calls)
    await user.send_photo((faces_dir / "people" / "obama_1.jpg").read_bytes())
    verdict = await reply_to(emu, user, "good photos", after=mark)
    assert "Photo 4 looks like a different person" in verdict.text
    assert "3 of 6 good photos" in verdict.text

    mark = len(emu.calls)
    await user.send_photo((faces_dir / "groups" / "two_people.jpg").read_bytes())
    verdict = await reply_to(emu, user, "good photos", after=mark)
    assert "Photo 5: 2 people are in this photo" in verdict.text
    assert not verdict.buttons(), "no style button before the set is ready"

    for path in good[3:]:
        mark = len(emu.calls)
        await user.send_photo(path.read_bytes())
        verdict = await reply_to(emu, user, "good photos", after=mark)
    assert "6 of 6 good photos" in verdict.text
    assert verdict.button("choose a style")


async def test_an_order_cancelled_from_its_progress_message(
    bot_harness: Harness, person_a_paths: list[Path]
) -> None:
    emu = bot_harness.emulator
    user = emu.user(1007, "Flo")
    good = [p for p in person_a_paths if p.name not in {"selfie_04.jpg", "selfie_07.jpg"}]
    await user.send_album([p.read_bytes() for p in good], group_id="g")
    verdict = await reply_to(emu, user, "6 of 6 good photos")
    await user.press(verdict, verdict.button("choose a style")["callback_data"])
    picker = await reply_to(emu, user, "Pick a style")
    await user.press(picker, style_button(picker, "academic"))
    preview = await reply_to(emu, user, "studio retouch", method="sendPhoto")
    await user.press(preview, preview.button("looks good")["callback_data"])
    summary = await reply_to(emu, user, "Place the order?")
    await user.press(summary, summary.button("generate")["callback_data"])
    progress = await progress_message(emu, user)
    await user.press(progress, progress.button("cancel order")["callback_data"])
    await reply_to(emu, user, "Your order was cancelled")
    for _ in range(100):
        (job,) = _rows(bot_harness, Job)
        if job.state == "cancelled":
            break
        await asyncio.sleep(0.2)
    assert job.state == "cancelled"
    assert _rows(bot_harness, SelfieSession)[0].state == "choosing_style"
    assert _rows(bot_harness, OutboxEntry) == []
    assert len(_rows(bot_harness, Photo)) == 6, "the selfies stay for another try"


async def test_restart_while_collecting_keeps_the_photos(
    bot_harness: Harness, person_a_paths: list[Path]
) -> None:
    emu = bot_harness.emulator
    user = emu.user(1003, "Cy")
    good = [p for p in person_a_paths if p.name not in {"selfie_04.jpg", "selfie_07.jpg"}]
    await user.send_album([p.read_bytes() for p in good[:3]], group_id="first-three")
    await reply_to(emu, user, "3 of 6 good photos")

    await bot_harness.restart()
    mark = len(emu.calls)
    await user.send_album([p.read_bytes() for p in good[3:]], group_id="last-three")
    verdict = await reply_to(emu, user, "good photos", after=mark)
    assert "6 of 6 good photos" in verdict.text
    assert "Photo 4: good." in verdict.text
    assert verdict.button("choose a style")


async def test_cancel_deletes_the_session_and_old_buttons_answer_kindly(
    bot_harness: Harness, person_a_paths: list[Path]
) -> None:
    emu = bot_harness.emulator
    user = emu.user(1004, "Di")
    good = [p for p in person_a_paths if p.name not in {"selfie_04.jpg", "selfie_07.jpg"}]
    await user.send_album([p.read_bytes() for p in good], group_id="g")
    verdict = await reply_to(emu, user, "6 of 6 good photos")
    assert len(_rows(bot_harness, Photo)) == 6
    assert _files(bot_harness)

    await user.send_text("/cancel")
    await reply_to(emu, user, "Cancelled")
    assert _rows(bot_harness, Photo) == []
    assert _rows(bot_harness, SelfieSession) == []
    assert _files(bot_harness) == []

    mark = len(emu.calls)
    await user.press(verdict, verdict.button("choose a style")["callback_data"])
    await reply_to(emu, user, "earlier session", after=mark)
    assert any("earlier session" in a for a in answers(emu, mark))


async def test_a_forged_button_cannot_reach_another_users_session(
    bot_harness: Harness, person_a_paths: list[Path]
) -> None:
    emu = bot_harness.emulator
    owner, intruder = emu.user(1005, "Eve"), emu.user(1006, "Mallory")
    good = [p for p in person_a_paths if p.name not in {"selfie_04.jpg", "selfie_07.jpg"}]
    await owner.send_album([p.read_bytes() for p in good], group_id="g")
    verdict = await reply_to(emu, owner, "6 of 6 good photos")
    data = verdict.button("choose a style")["callback_data"]

    mark = len(emu.calls)
    await intruder.press(verdict, data)
    await emu.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    assert answers(emu, mark) == ["That button isn't yours."]
    assert not [t for t in texts_to(emu, owner, mark) if "Pick a style" in t]
    assert _rows(bot_harness, SelfieSession)[0].state == "collecting"
