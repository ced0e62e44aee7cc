"""The button-signing key: serve and worker refuse a published, short or (with Redis) missing
one and say how to make one; the embedded default keeps a random key in the data folder."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot.callback_key import KEY_FILE, MAKE_A_KEY, MIN_KEY_BYTES, check_key, with_callback_key
from bot.cli import main
from bot.settings import Settings, SettingsError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the CLI in an empty folder with no HEADSHOTS_* from the environment."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("HEADSHOTS_"):
            monkeypatch.delenv(name)
    return tmp_path


def test_serve_with_the_published_key_exits_at_once_naming_the_variable() -> None:
    """What the issue asks literally: a real process, the example key, a token set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADSHOTS_")}
    env |= {"HEADSHOTS_TELEGRAM_TOKEN": "123:abc", "HEADSHOTS_CALLBACK_SECRET": "change-me"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "HEADSHOTS_CALLBACK_SECRET" in done.stderr
    assert MAKE_A_KEY in done.stderr


@pytest.mark.parametrize("command", ["serve", "worker"])
@pytest.mark.parametrize("key", ["change-me", "x" * (MIN_KEY_BYTES - 1)])
def test_serve_and_worker_refuse_published_or_short_keys(
    in_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    key: str,
) -> None:
    monkeypatch.setenv("HEADSHOTS_TELEGRAM_TOKEN", "123:abc")
    monkeypatch.setenv("HEADSHOTS_CALLBACK_SECRET", key)
    assert main([command]) == 2
    err = capsys.readouterr().err
    assert "HEADSHOTS_CALLBACK_SECRET" in err
    assert MAKE_A_KEY in err
    assert not (in_tmp / "data" / KEY_FILE).exists(), "a configured key is never replaced"


def test_a_missing_key_is_refused_when_processes_share_redis(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HEADSHOTS_REDIS_URL", "redis://127.0.0.1:6379/15")
    assert main(["worker"]) == 2
    assert "every bot process must share one key" in capsys.readouterr().err


def test_embedded_mode_makes_one_key_and_keeps_it(in_tmp: Path) -> None:
    """A fresh `make serve` with nothing configured gets past the key check (serve calls
    `with_callback_key` first; `tests/bot/test_serve.py` sees it reach the web studio), and
    the key it made is private, long and the same on the next start."""
    first = with_callback_key(Settings(_env_file=None, data_dir=in_tmp / "data"))  # type: ignore[call-arg]
    path = in_tmp / "data" / KEY_FILE
    kept = path.read_text(encoding="utf-8").strip()
    assert first.callback_secret == kept
    assert len(kept.encode()) >= MIN_KEY_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings = with_callback_key(Settings(_env_file=None, data_dir=in_tmp / "data"))  # type: ignore[call-arg]
    assert settings.callback_secret == kept
    other = with_callback_key(Settings(_env_file=None, data_dir=in_tmp / "elsewhere"))  # type: ignore[call-arg]
    assert other.callback_secret != kept, "random per installation"


def test_a_damaged_kept_key_is_refused(in_tmp: Path) -> None:
    (in_tmp / "data").mkdir()
    (in_tmp / "data" / KEY_FILE).write_text("short\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="delete the file"):
        with_callback_key(Settings(_env_file=None, data_dir=in_tmp / "data"))  # type: ignore[call-arg]


def test_env_example_carries_no_usable_key() -> None:
    lines = (REPO / ".env.example").read_text(encoding="utf-8").splitlines()
    [value] = [line.split("=", 1)[1] for line in lines if line.startswith("HEADSHOTS_CALLBACK_SECRET=")]
    assert value.strip() == ""
    assert Settings.model_fields["callback_secret"].default == ""
    with pytest.raises(SettingsError):
        check_key("change-me")
