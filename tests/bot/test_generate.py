"""`headshots generate` end to end on person_a's selfies with the preview backend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from bot.cli import main


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HEADSHOTS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HEADSHOTS_GENERATION_BACKEND", "preview")
    return tmp_path


def test_generate_writes_album_contact_sheet_and_json(
    clean_env: Path, faces_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HEADSHOTS_MIN_SELFIES", "5")
    out = clean_env / "album"
    code = main(
        ["generate", str(faces_dir / "person_a"), "--style", "corporate", "--count", "3", "--keep", "2",
         "--out", str(out), "--seed", "5"]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"in {out}" in captured.out
    assert "contact_sheet.jpg" in captured.out
    assert "generate     [" in captured.err, "progress bar on stderr"
    data = json.loads((out / "album.json").read_text())
    assert 1 <= data["count"] <= 2
    assert data["stats"]["backend"] == "preview"
    assert data["stats"]["seed"] == 5
    for item in data["items"]:
        with Image.open(out / item["file"]) as image:
            assert max(image.size) == 2048
        assert item["params"]["backend"] == "preview"
    assert (out / "contact_sheet.jpg").is_file()


def test_generate_stops_with_the_assessors_message_when_the_set_is_not_ready(
    clean_env: Path, faces_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = clean_env / "album"
    code = main(
        ["generate", str(faces_dir / "person_a"), "--style", "corporate", "--count", "3", "--out", str(out)]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert "send at least 2 more" in captured.err
    assert "selfie_04.jpg: " in captured.err, "each unusable photo named with its fix"
    assert not out.exists()


def test_generate_refuses_an_unknown_style(
    clean_env: Path, faces_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["generate", str(faces_dir / "person_a"), "--style", "wedding", "--count", "3"])
    assert code == 1
    assert "no style called 'wedding'" in capsys.readouterr().err


def test_generate_takes_what_the_person_says_about_themselves(
    clean_env: Path, faces_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HEADSHOTS_MIN_SELFIES", "5")
    out = clean_env / "album"
    code = main(
        ["generate", str(faces_dir / "person_a"), "--style", "corporate", "--count", "2", "--keep", "1",
         "--out", str(out), "--stated", "glasses=no", "--stated", "hair=Short  Grey", "--stated", "beard=no"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    data = json.loads((out / "album.json").read_text())
    # Recorded as said; that it reaches the prompt: tests/engine/test_pipeline.py.
    assert data["stats"]["stated"] == {"glasses": "no", "hair": "short grey", "facial_hair": "none"}


@pytest.mark.parametrize(
    ("stated", "message"),
    [
        ("glasses=maybe", "glasses must be yes or no"),
        ("tattoo=yes", "unknown attribute"),
        ("glasses", "NAME=VALUE"),
    ],
)
def test_generate_refuses_a_stated_attribute_it_cannot_use(
    clean_env: Path, faces_dir: Path, capsys: pytest.CaptureFixture[str], stated: str, message: str
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["generate", str(faces_dir / "person_a"), "--style", "corporate", "--stated", stated])
    assert info.value.code == 2
    assert message in capsys.readouterr().err
