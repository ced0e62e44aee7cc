"""The commercial preset end to end through `headshots generate`, on tiny FLUX.2 components.

Random weights cannot draw a face, so ranking rightly rejects every candidate; what this
proves is that the preset's whole path runs: preset settings, the dlib 5-point face backend
on real selfies, reference choice, FLUX.2 generation, post-processing and ranking.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.engine.tiny_flux2 import save_tiny_flux2


@pytest.fixture(scope="module")
def tiny_flux2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_flux2(tmp_path_factory.mktemp("flux2"))


@pytest.fixture
def commercial_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_flux2: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "HEADSHOTS_DATA_DIR": str(tmp_path / "data"),
        "HEADSHOTS_MODEL_PRESET": "commercial-flux2-klein",
        "HEADSHOTS_FLUX2_MODEL_ID": str(tiny_flux2),
        "HEADSHOTS_FLUX2_STEPS": "2",
        "HEADSHOTS_FLUX2_REFERENCES": "2",
        "HEADSHOTS_FLUX2_REFERENCE_SIZE": "64",
        "HEADSHOTS_DEVICE": "cpu",
        "HEADSHOTS_DTYPE": "float32",
        "HEADSHOTS_MIN_SELFIES": "5",
        "HEADSHOTS_LOG_JSON": "false",
    }.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def test_commercial_preset_generates_through_the_cli(
    commercial_env: Path, faces_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "generate",
            str(faces_dir / "person_a"),
            "--style",
            "corporate",
            "--count",
            "2",
            "--keep",
            "1",
            "--size",
            "64",
        ]
    )
    err = capsys.readouterr().err
    # Every stage ran, through FLUX.2 generation to ranking.
    for stage in ("assess", "generate", "postprocess", "rank"):
        assert stage in err, err
    # The tiny model's noise has no face: nothing to deliver, said plainly.
    assert code == 1
    assert "No candidate passed the checks" in err
    assert "model preset commercial-flux2-klein" in err
    assert "dlib 5-point landmarks" in err
    assert "dlib 5-point face models loaded" in err  # the preset's face backend, not dlib's 68 points
    assert "order done: corporate, 0 of 2 kept" in err


def test_the_local_model_override_is_reported_and_blocks_commercial_mode(
    commercial_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "--json"]) == 0
    active = json.loads(capsys.readouterr().out)["active"]
    assert active["preset"] == "commercial-flux2-klein"
    base = next(m for m in active["models"] if m["role"] == "base")
    assert base["overridden"] is True
    assert base["licence"]["verdict"] == "unknown"
    monkeypatch.setenv("HEADSHOTS_COMMERCIAL", "true")
    assert main(["worker"]) == 2
    refusal = capsys.readouterr().err
    assert "is unknown: Not recorded" in refusal
    assert "FLUX.2 model" in refusal
