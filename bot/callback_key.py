"""The key that signs button data: never a published value, never short, never in the repo.

Whoever holds the key can sign button data for anyone (join any team, act on any session id),
so `headshots serve` and `headshots worker` refuse to start with a missing, published or short
key and say how to make one. The embedded default (no Redis: one machine, one data folder)
may instead leave it empty: a random key is made once and kept in the data folder, so a fresh
`make serve` needs no configuration and every restart still accepts yesterday's buttons.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Final

from bot.settings import Settings, SettingsError

MIN_KEY_BYTES: Final = 32
KEY_FILE: Final = "callback_secret.key"
MAKE_A_KEY: Final = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
PUBLISHED: Final = frozenset({"change-me", "changeme"})
"""Example values this repository once shipped."""

_VARIABLE: Final = "HEADSHOTS_CALLBACK_SECRET"


def _refusal(problem: str) -> SettingsError:
    return SettingsError(
        f"Invalid configuration:\n  {_VARIABLE}: {problem}\n"
        f"  Make a key with\n    {MAKE_A_KEY}\n"
        f"  and put it in .env as {_VARIABLE}=<that key>. In embedded mode (no "
        f"HEADSHOTS_REDIS_URL) you may instead leave it empty: a key is then made once and kept "
        f"in the data folder ({KEY_FILE})."
    )


def check_key(key: str) -> str:
    """`key` if it is fit to sign buttons, else `SettingsError` naming the variable."""
    if key in PUBLISHED:
        msg = f"{key!r} is a published example value; anyone could sign buttons with it."
        raise _refusal(msg)
    if len(key.encode()) < MIN_KEY_BYTES:
        msg = f"is {len(key.encode())} bytes; a signing key needs at least {MIN_KEY_BYTES}."
        raise _refusal(msg)
    return key


def _kept_key(path: Path) -> str:
    """The key in `path`, made (random, readable by this user only) if there is none yet.

    Written to a temporary file and linked into place, so two processes starting at once
    agree on one key and neither reads a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(tmp_name, path)
        finally:
            Path(tmp_name).unlink(missing_ok=True)
    return path.read_text(encoding="utf-8").strip()


def with_callback_key(settings: Settings) -> Settings:
    """`settings` with a usable `callback_secret`, or `SettingsError` saying how to set one.

    Empty in embedded mode: the key kept in `data_dir/callback_secret.key` (made on first use).
    Empty with Redis: refused, because the bots and workers must share one key.
    """
    given = settings.callback_secret.strip()
    if given:
        check_key(given)
        return settings
    if not settings.embedded:
        msg = "is not set. With Redis, every bot process must share one key."
        raise _refusal(msg)
    path = settings.data_dir / KEY_FILE
    try:
        kept = check_key(_kept_key(path))
    except SettingsError as exc:
        msg = f"the key kept in {path} is unusable; delete the file to have a new one made."
        raise _refusal(msg) from exc
    return settings.model_copy(update={"callback_secret": kept})
