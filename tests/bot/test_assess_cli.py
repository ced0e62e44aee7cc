"""`headshots assess` end to end: real photos, real dlib models, the JSON shape of issue 4."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.cli import main

PHOTO_KEYS = {
    "path",
    "ok",
    "issues",
    "faces",
    "sharpness",
    "brightness",
    "yaw",
    "pitch",
    "roll",
    "face_px",
    "similarity",
}
SET_KEYS = {"ready", "consistent", "outliers", "usable", "needed", "message"}


@pytest.fixture
def selfies(tmp_path: Path, person_a_paths: list[Path], faces_dir: Path) -> Path:
    folder = tmp_path / "selfies"
    folder.mkdir()
    for path in person_a_paths[:3]:
        shutil.copy(path, folder / path.name)
    shutil.copy(faces_dir / "people" / "rose_2.jpg", folder / "selfie_99.jpg")
    (folder / "broken.jpg").write_bytes(b"not a photo")
    (folder / "notes.txt").write_text("ignored")
    return folder


def test_json_output(
    selfies: Path, faces_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(selfies.parent)
    group = faces_dir / "groups" / "couple.jpg"
    code = main(["assess", str(selfies), str(group), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1  # not ready
    assert set(out) == {"photos", "set"}
    assert set(out["set"]) == SET_KEYS
    by_name = {Path(p["path"]).name: p for p in out["photos"]}
    assert set(by_name) == {
        "broken.jpg",
        "selfie_01.jpg",
        "selfie_02.jpg",
        "selfie_03.jpg",
        "selfie_99.jpg",
        "couple.jpg",
    }
    for photo in out["photos"]:
        assert set(photo) == PHOTO_KEYS
    assert by_name["broken.jpg"]["issues"] == ["unreadable"]
    assert by_name["couple.jpg"]["issues"] == ["multiple_faces"]
    assert by_name["selfie_01.jpg"]["ok"] is True
    assert by_name["selfie_01.jpg"]["similarity"] > 0.9
    assert by_name["selfie_99.jpg"]["issues"] == ["identity_mismatch"]
    assert out["set"]["outliers"] == [str(selfies / "selfie_99.jpg")]
    assert out["set"]["usable"] == 3
    assert out["set"]["needed"] == 5
    assert out["set"]["ready"] is False
    assert "send at least 5 more" in out["set"]["message"]


def test_text_output_and_missing_path(
    selfies: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(selfies.parent)
    assert main(["assess", str(selfies / "selfie_01.jpg")]) == 1
    text = capsys.readouterr().out
    assert "selfie_01.jpg: ok" in text
    assert "1 good photo so far" in text
    assert main(["assess", str(selfies / "broken.jpg")]) == 1
    assert "is not a photo we can read" in capsys.readouterr().out
    assert main(["assess", str(selfies / "nope.jpg")]) == 2
