"""`headshots rank` on real photos: other people dropped, a re-encoded crop reported as a
duplicate, and every pose of person_a kept before any pose repeats."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.cli import main


def _crop(source: Path, target: Path, margin: float, quality: int) -> None:
    image = Image.open(source).convert("RGB")
    width, height = image.size
    box = (int(margin * width), int(margin * height), int((1 - margin) * width), int((1 - margin) * height))
    image.crop(box).save(target, "JPEG", quality=quality)


@pytest.fixture(scope="module")
def ranked(
    tmp_path_factory: pytest.TempPathFactory, person_a_paths: list[Path], faces_dir: Path
) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("rank")
    selfies, candidates = root / "selfies", root / "candidates"
    selfies.mkdir()
    candidates.mkdir()
    for path in person_a_paths:
        shutil.copy(path, selfies / path.name)
        shutil.copy(path, candidates / path.name)
    for path in sorted((faces_dir / "people").glob("*.jpg")):
        shutil.copy(path, candidates / f"other_{path.name}")
    shutil.copy(faces_dir / "groups" / "two_people.jpg", candidates / "group.jpg")
    _crop(person_a_paths[2], candidates / "copy_of_03.jpg", margin=0.03, quality=70)
    # The same pose again, framed tighter: a repeat of a look, not a duplicate picture.
    for path in person_a_paths[:2]:
        _crop(path, candidates / f"tighter_{path.name}", margin=0.12, quality=90)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["rank", str(candidates), "--selfies", str(selfies), "--keep", "8", "--json"])
    assert code == 0
    data: dict[str, Any] = json.loads(buffer.getvalue())
    return data


def _by_name(ranked: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["file"]: f for f in ranked["files"]}


def test_every_other_person_is_dropped_or_below_every_person_a_photo(ranked: dict[str, Any]) -> None:
    files = _by_name(ranked)
    person_a = [f for name, f in files.items() if name.startswith("selfie_")]
    others = [f for name, f in files.items() if name.startswith("other_")]
    assert len(person_a) == 8
    assert len(others) == 11
    lowest_a = min(f["scores"]["score"] for f in person_a)
    for other in others:
        assert not other["kept"] or other["scores"]["score"] < lowest_a, other["file"]
        assert other["reason"] == "kept" or other["reason"].startswith(("identity too low", "no face"))
    assert files["group.jpg"]["reason"] == "more than one face"
    assert ranked["identity_model"] == "dlib"
    assert all(f["scores"]["identity_cosine"] >= ranked["identity_threshold"] for f in person_a)


def test_a_reencoded_slightly_cropped_copy_is_reported_as_a_duplicate(ranked: dict[str, Any]) -> None:
    copy = _by_name(ranked)["copy_of_03.jpg"]
    assert not copy["kept"]
    assert copy["reason"] == "duplicate of selfie_03.jpg"
    assert copy["cluster"] == _by_name(ranked)["selfie_03.jpg"]["cluster"]


def test_the_kept_set_covers_every_pose_before_it_repeats_one(ranked: dict[str, Any]) -> None:
    files = _by_name(ranked)
    kept = sorted(f["file"] for f in ranked["files"] if f["kept"])
    assert kept == [f"selfie_0{n}.jpg" for n in range(1, 9)], kept
    for name in ("tighter_selfie_01.jpg", "tighter_selfie_02.jpg"):
        assert files[name]["reason"].startswith(("same look as", "quality", "duplicate of")), files[name]
    ranks = sorted(f["rank"] for f in ranked["files"] if f["kept"])
    assert ranks == list(range(1, 9))
    assert len({f["cluster"] for f in ranked["files"] if f["kept"]}) == 8
