"""Team orders end to end on the Bot API emulator: an organiser in a group, three members in
their private chats (person_a, obama, rose from ../shared/faces), the real engine (dlib faces,
preview backend) and the embedded job runner."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
import zipfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlmodel import select

from conversations.teams import messages as tmsg
from engine.pipeline import EngineResources, load_engine_resources
from storage.database import Database
from storage.models import Job, Photo, Result, SelfieSession, Team, TeamMember
from storage.photos import LocalPhotoStore
from tests.emulators.telegram import ApiCall, EmulatedUser, TelegramEmulator
from tests.handlers.telegram.conftest import Harness, harness_settings
from tests.handlers.telegram.helpers import reply_to

GROUP = -5001
TEAM_MIN_SELFIES = 2
"""Low enough that obama's and rose's few photos make a set."""
SENT_MEDIA = ("sendPhoto", "sendMediaGroup", "sendDocument")


@pytest.fixture(scope="module")
def team_engines() -> tuple[EngineResources, EngineResources]:
    """Conversation and worker models (not shared: the face models are not thread-safe)."""
    return (
        load_engine_resources(min_selfies=TEAM_MIN_SELFIES),
        load_engine_resources(min_selfies=TEAM_MIN_SELFIES),
    )


@pytest.fixture
async def team_harness(
    tmp_path: Path, emulator: TelegramEmulator, team_engines: tuple[EngineResources, EngineResources]
) -> AsyncIterator[Harness]:
    settings = harness_settings(
        tmp_path, emulator, min_selfies=TEAM_MIN_SELFIES, candidates_per_order=2, album_size=2
    )
    db = Database(settings.effective_database_url)
    db.upgrade()
    harness = Harness(emulator, settings, db, LocalPhotoStore(settings.effective_photo_dir), *team_engines)
    await harness.start()
    yield harness
    await harness.stop()
    db.dispose()


async def group_text(user: EmulatedUser, text: str) -> int:
    """`user` writes `text` in the team's group chat."""
    emulator = user.emulator
    fields: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split(maxsplit=1)[0])}]
    message = {
        "message_id": emulator.next_message_id(),
        "date": int(time.time()),
        "chat": {"id": GROUP, "type": "group", "title": "Acme team"},
        "from": user.sender,
        **fields,
    }
    return await emulator.push({"message": message})


async def card_shows(emu: TelegramEmulator, *parts: str, after: int = 0) -> ApiCall:
    """The card (in the group) edited to contain every one of `parts`."""
    return await emu.wait_for(
        lambda c: (
            c.method == "editMessageText" and c.chat_id == str(GROUP) and all(p in c.text for p in parts)
        ),
        after=after,
        wait_s=90,
    )


def _rows(harness: Harness, model: type) -> list[Any]:
    with harness.db.session() as session:
        return list(session.exec(select(model)))


async def eventually(probe: Callable[[], Any], wait_s: float = 10.0) -> Any:
    """`probe()`'s first truthy value, polling (the bot records what it sent just after)."""
    deadline = time.monotonic() + wait_s
    while not (value := probe()):
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)
    return value


async def join_and_send(emu: TelegramEmulator, user: EmulatedUser, code: str, photos: list[Path]) -> ApiCall:
    await user.send_text(f"/start team_{code}")
    await reply_to(emu, user, "Welcome to the team order Acme Design")
    mark = len(emu.calls)
    await user.send_album([p.read_bytes() for p in photos], group_id=f"g{user.id}")
    return await reply_to(emu, user, "good photos", after=mark)


async def order_and_pick(emu: TelegramEmulator, user: EmulatedUser, ready: ApiCall, rank: int) -> None:
    await user.press(ready, ready.button("make my team headshots")["callback_data"])
    await reply_to(emu, user, "Making 2 headshots: Acme Design team look")
    pick = await reply_to(emu, user, "Tap your favourite", wait_s=120)
    assert [b["text"] for b in pick.buttons()][:2] == ["Pick #1", "Pick #2"]
    headline = await reply_to(emu, user, "Your Acme Design photo retouches are ready")
    assert emu.calls.index(headline) < emu.calls.index(pick)
    await user.press(pick, pick.button(f"pick #{rank}")["callback_data"])
    await reply_to(emu, user, f"#{rank} is your pick")


async def test_team_order_from_card_to_export_and_cancel(team_harness: Harness, faces_dir: Path) -> None:
    emu = team_harness.emulator
    olga, ada, obi, rosa, adam = (
        emu.user(2001, "Olga"),
        emu.user(2002, "Ada"),
        emu.user(2003, "Obi"),
        emu.user(2004, "Rosa"),
        emu.user(2005, "Adam"),
    )
    emu.admins.add((GROUP, adam.id))
    people = faces_dir / "people"
    # Picks and exports reach the organiser privately: a bot may only write to people who
    # started it (Telegram answers 403 otherwise), so Olga has opened the bot's chat once.
    await olga.send_text("/start")
    await emu.wait_for(lambda c: c.chat_id == str(olga.id) and c.method == "sendMessage")

    # The organiser starts the order in the group: a custom team look.
    await group_text(
        olga,
        "/team new Acme Design; style=corporate; photos=2; deadline=3d; backdrop=#1f3a5f; "
        "attire=a navy blazer and a white shirt; framing=head and shoulders",
    )
    card = await emu.wait_for(lambda c: c.chat_id == str(GROUP) and "Team order: Acme Design" in c.text)
    assert "Acme Design team look" in card.text
    assert "2 photos each" in card.text
    assert "Nobody has joined yet." in card.text
    assert tmsg.CARD_ORGANISER_START in card.text  # Telegram lets the bot write only to who wrote first
    join_url = card.button("join")["url"]
    code = re.fullmatch(r"https://t\.me/headshots_test_bot\?start=team_([a-z0-9]+)", join_url)
    assert code is not None, join_url
    team = await eventually(lambda: next((t for t in _rows(team_harness, Team) if t.card_message_id), None))
    assert team.card_message_id == str(card.result["message_id"])
    assert team.params["custom_style"]["postprocess"]["background"] == "#1f3a5f"

    # Members join privately and send selfies; the card follows.
    ready_ada = await join_and_send(emu, ada, code[1], sorted((faces_dir / "person_a").glob("*.jpg"))[:3])
    assert "Make my team headshots" in [b["text"] for b in ready_ada.buttons()]
    await card_shows(emu, "Ada: selfies ready", "Still to act: Ada")
    ready_obi = await join_and_send(emu, obi, code[1], sorted(people.glob("obama_[123].jpg")))
    await card_shows(emu, "Obi: selfies ready")

    # Rosa's first set is bad: she is told what to fix, then fixes it.
    bad = await join_and_send(
        emu, rosa, code[1], [people / "rose_1.jpg", faces_dir / "groups" / "two_people.jpg"]
    )
    assert "2 people are in this photo; send photos of just you" in bad.text
    assert not bad.buttons(), "no order button for a set that is not ready"
    await card_shows(emu, "Rosa: sending selfies", "Still to act: Ada, Obi, Rosa")
    mark = len(emu.calls)
    await rosa.send_photo((people / "rose_2.jpg").read_bytes())
    fixed = await reply_to(emu, rosa, "good photos", after=mark)
    await card_shows(emu, "Rosa: selfies ready")

    # Rosa orders, then changes her mind: the style stays the team's, she can order again.
    mark = len(emu.calls)
    await rosa.press(fixed, fixed.button("make my team headshots")["callback_data"])
    progress = await emu.wait_for(
        lambda c: c.chat_id == str(rosa.id) and any(b["text"] == "Cancel order" for b in c.buttons()),
        after=mark,
    )
    await rosa.press(progress, progress.button("cancel order")["callback_data"])
    cancelled = await reply_to(emu, rosa, "Your order was cancelled", after=mark)
    assert [b["text"] for b in cancelled.buttons()] == ["Make my team headshots"]

    # Ada and Obi order with the team's template and seed, get their albums privately, pick.
    mark = len(emu.calls)
    await order_and_pick(emu, ada, ready_ada, rank=1)
    await order_and_pick(emu, obi, ready_obi, rank=2)
    await card_shows(
        emu, "Ada: done, favourite picked", "Obi: done, favourite picked", "Done 2 of 3", after=mark
    )
    jobs = _rows(team_harness, Job)
    assert {j.seed for j in jobs} == {team.params["seed"]}, "one seed policy for the whole team"
    assert {j.style for j in jobs} == {team.style}
    assert all(j.params["custom_style"] == team.params["custom_style"] for j in jobs)
    assert {j.keep for j in jobs} == {2}
    pick_for_olga = await emu.wait_for(
        lambda c: c.method == "sendPhoto" and c.chat_id == str(olga.id) and "Obi picked #2" in c.text
    )
    assert pick_for_olga.button("ask obi for a redo")

    # Nobody but the organiser and admins manages the order.
    mark = len(emu.calls)
    await group_text(ada, "/team export")
    await group_text(ada, "/team cancel")
    refusals = [
        await emu.wait_for(lambda c: c.chat_id == str(GROUP) and "Only the organiser" in c.text, after=mark)
    ]
    await ada.press(card, card.button("cancel order")["callback_data"])
    toast = await emu.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    assert "Only the organiser" in toast.params["text"]
    assert refusals
    assert _rows(team_harness, Team), "the order still exists"

    # The organiser exports from the card: the files go to her private chat.
    mark = len(emu.calls)
    await olga.press(card, card.button("export")["callback_data"])
    zipped = await emu.wait_for(
        lambda c: c.method == "sendDocument" and c.chat_id == str(olga.id) and "2 finished members" in c.text,
        after=mark,
    )
    table = await emu.wait_for(
        lambda c: c.method == "sendDocument" and c.chat_id == str(olga.id) and "identity score" in c.text,
        after=mark,
    )
    archive = zipfile.ZipFile(io.BytesIO(zipped.files["document"]))
    images = sorted(n for n in archive.namelist() if n.endswith(".jpg"))
    assert images == ["Acme_Design-Ada.jpg", "Acme_Design-Obi.jpg"]
    for name in images:
        assert max(Image.open(io.BytesIO(archive.read(name))).size) == 2048
    rows = list(csv.DictReader(io.StringIO(table.files["document"].decode())))
    results = {r.id: r for r in _rows(team_harness, Result)}
    picks = {
        m.display_name: results[m.pick_result_id] for m in _rows(team_harness, TeamMember) if m.pick_result_id
    }
    assert [(r["name"], r["file"], r["status"]) for r in rows] == [
        ("Ada", "Acme_Design-Ada.jpg", "picked"),
        ("Obi", "Acme_Design-Obi.jpg", "picked"),
        ("Rosa", "", "not_finished"),
    ]
    assert float(rows[0]["identity_score"]) == pytest.approx(picks["Ada"].identity, abs=1e-3)
    assert picks["Obi"].rank == 2

    # The organiser asks Obi for a redo: Obi is told privately, the card says so.
    mark = len(emu.calls)
    await olga.press(pick_for_olga, pick_for_olga.button("redo")["callback_data"])
    await reply_to(emu, obi, "asked you for a new try", after=mark)
    await card_shows(emu, "Obi: redo requested", after=mark)

    # Rosa leaves: her team photos are deleted, the card drops her.
    mark = len(emu.calls)
    rosa_files = [p for p in team_harness.settings.effective_photo_dir.rglob("*") if "/sessions/" in str(p)]
    await rosa.send_text("/team leave")
    left = await reply_to(emu, rosa, "You left Acme Design", after=mark)
    assert "team photos and results are deleted" in left.text
    await card_shows(emu, "Members (2):", after=mark)
    with team_harness.db.session() as session:
        rosa_rows = session.exec(select(TeamMember).where(TeamMember.display_name == "Rosa")).all()
    assert not rosa_rows
    assert len(
        [p for p in team_harness.settings.effective_photo_dir.rglob("*") if "/sessions/" in str(p)]
    ) < len(rosa_files)

    # No photo ever reached the group.
    assert not [c for c in emu.calls if c.chat_id == str(GROUP) and c.method in SENT_MEDIA]

    # An admin of the group cancels: everyone's team data is gone.
    files_before = [p for p in team_harness.settings.effective_photo_dir.rglob("*") if p.is_file()]
    assert files_before
    mark = len(emu.calls)
    await group_text(adam, "/team cancel")
    await emu.wait_for(lambda c: c.chat_id == str(GROUP) and "is cancelled" in c.text, after=mark)
    await reply_to(emu, obi, "was cancelled", after=mark)
    await card_shows(emu, "was cancelled", after=mark)
    for model in (Team, TeamMember, Photo, SelfieSession, Result):
        assert not _rows(team_harness, model), model.__name__
    assert not [p for p in team_harness.settings.effective_photo_dir.rglob("*") if p.is_file()]
