"""Which model files are on disk, and the per-file fetch commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.catalogue.entries import CATALOGUE
from engine.catalogue.local import file_status


def test_hub_files_found_in_the_cache_and_fetched_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    model = CATALOGUE["ip-adapter-faceid-sdxl"]
    [missing] = file_status(model)
    assert not missing.present
    assert missing.fetch == "hf download h94/IP-Adapter-FaceID ip-adapter-faceid_sdxl.bin"
    snapshot = tmp_path / "models--h94--IP-Adapter-FaceID" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "ip-adapter-faceid_sdxl.bin").write_bytes(b"x")
    [found] = file_status(model)
    assert found.present
    assert found.path.endswith("ip-adapter-faceid_sdxl.bin")


def test_a_sharded_folder_is_fetched_with_an_include_pattern(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    statuses = {s.file: s for s in file_status(CATALOGUE["flux2-klein-4b"])}
    assert (
        statuses["transformer/*"].fetch
        == "hf download black-forest-labs/FLUX.2-klein-4B --include 'transformer/*'"
    )
    assert not any(s.present for s in statuses.values())


def test_pip_models_are_found_in_their_package() -> None:
    [status] = file_status(CATALOGUE["dlib-landmarks-5"])
    assert status.present
    assert status.fetch == "pip install face-recognition-models"


def test_insightface_pack_and_upscaler_locations(tmp_path: Path) -> None:
    [pack] = file_status(CATALOGUE["insightface-buffalo_l"], insightface_root=tmp_path)
    assert not pack.present
    assert f"unzip -o /tmp/buffalo_l.zip -d {tmp_path}/models/buffalo_l" in pack.fetch
    (tmp_path / "models" / "buffalo_l").mkdir(parents=True)
    (tmp_path / "models" / "buffalo_l" / "w600k_r50.onnx").write_bytes(b"x")
    assert file_status(CATALOGUE["insightface-buffalo_l"], insightface_root=tmp_path)[0].present
    weights = tmp_path / "RealESRGAN_x2plus.pth"
    [upscaler] = file_status(CATALOGUE["real-esrgan-x2plus"], upscaler_path=weights)
    assert not upscaler.present
    assert str(weights) in upscaler.fetch
    weights.write_bytes(b"x")
    assert file_status(CATALOGUE["real-esrgan-x2plus"], upscaler_path=weights)[0].present
