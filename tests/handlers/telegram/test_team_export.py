"""A team of 60 exports: the archive is over Telegram's 50 MB, so it arrives in parts that each
fit and each open, with every member's file and the CSV; the strict emulator refuses nothing.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from tests.conversations.teams.team_rows import make_team
from tests.handlers.telegram.conftest import Harness
from tests.handlers.telegram.test_teams import group_text

MEMBERS = 60
ORGANISER = 900  # make_team's organiser
MB = 1024 * 1024


def headshot_sized(face: Path) -> Image.Image:
    """A 2048 px photo with sensor-like noise: about 1.4 MB as the export's JPEG, as real ones."""
    image = Image.open(face).convert("RGB").resize((2048, 1536))
    noise = np.random.default_rng(0).integers(-12, 12, (1536, 2048, 3))
    return Image.fromarray((np.asarray(image, dtype=np.int16) + noise).clip(0, 255).astype(np.uint8))


async def test_a_60_member_export_arrives_in_parts_that_fit(
    bot_harness: Harness, person_a_paths: list[Path]
) -> None:
    emu = bot_harness.emulator
    members = [(f"Member {n:02d}", "picked") for n in range(MEMBERS)]
    make_team(bot_harness.db, bot_harness.store, members, result_image=headshot_sized(person_a_paths[0]))
    organiser = emu.user(ORGANISER, "Olga")
    await organiser.send_text("/start")  # Telegram: the bot writes privately only to who wrote first
    await emu.wait_for(lambda c: c.chat_id == str(ORGANISER) and c.method == "sendMessage")

    mark = len(emu.calls)
    await group_text(organiser, "/team export")
    await emu.wait_for(  # the CSV comes last
        lambda c: c.method == "sendDocument" and c.chat_id == str(ORGANISER) and "identity score" in c.text,
        after=mark,
        wait_s=120,
    )
    parts = [c for c in emu.calls_to(ORGANISER, "sendDocument") if "finished members" in c.text]
    assert len(parts) == 2, [c.text for c in parts]
    assert [c.text[-5:] for c in parts] == ["(1/2)", "(2/2)"]
    names: list[str] = []
    for call in parts:
        (data,) = call.files.values()
        assert len(data) <= 50 * MB
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.testzip() is None
            names += archive.namelist()
    assert len([n for n in names if n.endswith(".jpg")]) == MEMBERS
    assert sum(n.endswith(".csv") for n in names) == 1
    assert emu.refused == []
