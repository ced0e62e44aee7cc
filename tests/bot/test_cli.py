"""The `headshots` command is installed and lists its sub-commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

COMMANDS = ["serve", "worker", "generate", "assess", "submit", "status", "db", "ban", "models"]


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert command in out


def test_console_script_runs_db_upgrade(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "headshots"
    env = {**os.environ, "HEADSHOTS_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [str(script), "db", "upgrade"], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "data" / "headshots.db").is_file()


def test_bad_setting_stops_start_up_with_its_name(tmp_path: Path) -> None:
    env = {**os.environ, "HEADSHOTS_REDIS_URL": "nonsense"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "HEADSHOTS_REDIS_URL" in done.stderr


def test_ban_and_unban_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlmodel import select

    from storage.database import Database
    from storage.models import User

    monkeypatch.setenv("HEADSHOTS_DATA_DIR", str(tmp_path / "data"))
    assert main(["ban", "telegram", "4242"]) == 0
    db = Database(f"sqlite:///{tmp_path / 'data' / 'headshots.db'}")
    with db.session() as session:
        assert session.exec(select(User.banned).where(User.platform_user_id == "4242")).one() is True
    assert main(["ban", "telegram", "4242", "--unban"]) == 0
    with db.session() as session:
        assert session.exec(select(User.banned).where(User.platform_user_id == "4242")).one() is False
    db.dispose()
