"""The album on disk: ranked full-resolution files, a contact sheet with rank numbers, album.json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from engine.album import contact_sheet, write_album
from engine.types import Album, Candidate, ScoredCandidate


def _item(colour: tuple[int, int, int], score: float) -> ScoredCandidate:
    image = Image.new("RGB", (2048, 2048), colour)
    candidate = Candidate(
        image=image, seed=int(score * 100), params={"backend": "preview", "camera": {"zoom": "head"}}
    )
    return ScoredCandidate(
        candidate,
        identity=0.9,
        quality=0.8,
        style_fit=0.7,
        score=score,
        cluster=0,
        details={"sharpness": 0.9},
        embedding=np.full(4, 0.5, np.float32),
    )


def test_contact_sheet_draws_rank_numbers() -> None:
    items = [_item((120, 120, 120), 0.9), _item((120, 120, 120), 0.8)]
    sheet = contact_sheet(items, thumb=200)
    assert sheet.size == (2 * 200 + 3 * 8, 200 + 2 * 8)
    label = np.asarray(sheet)[8:40, 8:40]
    assert (label > 200).any(), "white rank number"
    assert (label < 20).any(), "on a black box"
    plain = np.asarray(sheet)[150:190, 100:190]
    assert np.all(plain == 120)


def test_write_album_files_and_json(tmp_path: Path) -> None:
    items = (_item((200, 10, 10), 0.9), _item((10, 200, 10), 0.7))
    album = Album(
        style="corporate", items=items, contact_sheet=contact_sheet(items), dropped=3, stats={"seed": 1}
    )
    files = write_album(album, tmp_path / "album")
    assert [p.name for p in files.images] == ["01.jpg", "02.jpg"]
    with Image.open(files.images[0]) as first_image:
        assert first_image.size == (2048, 2048)
    with Image.open(files.images[1]) as second_image:
        assert np.asarray(second_image)[5, 5, 1] > 150
    data = json.loads(files.manifest.read_text())
    assert data["style"] == "corporate"
    assert data["dropped"] == 3
    assert data["contact_sheet"] == "contact_sheet.jpg"
    first = data["items"][0]
    assert first["rank"] == 1
    assert first["file"] == "01.jpg"
    assert first["score"] == 0.9
    assert first["params"]["camera"] == {"zoom": "head"}
    assert len(first["embedding"]) == 4
