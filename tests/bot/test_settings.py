"""Settings come from HEADSHOTS_* variables and .env; a bad value names the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings


def test_defaults_are_the_embedded_mode(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.embedded
    assert settings.effective_database_url.startswith("sqlite:///")
    assert settings.effective_database_url.endswith("data/headshots.db")
    assert settings.effective_photo_dir == Path("data") / "photos"


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("HEADSHOTS_TELEGRAM_TOKEN=123:abc\nHEADSHOTS_DAILY_QUOTA=7\n")
    monkeypatch.setenv("HEADSHOTS_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("HEADSHOTS_DATABASE_URL", "postgresql://u@h/db")
    settings = load_settings()
    assert settings.telegram_token == "123:abc"
    assert settings.daily_quota == 7
    assert not settings.embedded
    assert settings.effective_database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HEADSHOTS_REDIS_URL", "localhost:6379"),
        ("HEADSHOTS_DATABASE_URL", "mysql://x"),
        ("HEADSHOTS_MIN_SELFIES", "zero"),
        ("HEADSHOTS_FACE_BACKEND", "opencv"),
        ("HEADSHOTS_METRICS_PORT", "70000"),
    ],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load_settings()


def test_settings_fixture_is_isolated(settings: Settings, tmp_path: Path) -> None:
    assert settings.data_dir == tmp_path / "data"


def test_union_controlnet_with_instantid_is_refused_naming_both(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HEADSHOTS_GENERATION_CONTROL_UNION", "true")
    assert load_settings().generation_control_union  # FaceID (the default) takes the union
    monkeypatch.setenv("HEADSHOTS_GENERATION_IDENTITY", "instantid")
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert "union ControlNet cannot run with InstantID" in message
    assert "HEADSHOTS_GENERATION_CONTROL_UNION=true" in message
    assert "HEADSHOTS_GENERATION_IDENTITY=instantid" in message


def test_a_discord_shard_outside_the_count_is_refused_with_the_range(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HEADSHOTS_DISCORD_SHARD_COUNT", "2")
    monkeypatch.setenv("HEADSHOTS_DISCORD_SHARD_ID", "1")
    assert (load_settings().discord_shard_count, load_settings().discord_shard_id) == (2, 1)
    monkeypatch.setenv("HEADSHOTS_DISCORD_SHARD_ID", "2")
    with pytest.raises(SettingsError, match=r"HEADSHOTS_DISCORD_SHARD_ID.*0 \.\. 1"):
        load_settings()
