"""Button callback data: short, versioned, signed, and bound to its owner.

The one module that knows the format. Format: ``1.<action>.<session>.<arg>.<sig>`` where
`sig` is the first 8 bytes of
HMAC-SHA256(`Settings.callback_secret`, version, platform, user, action, session, arg) in
base64url (11 characters). Telegram allows 64 bytes of callback data; this stays under 40.
A button pressed by anyone but the user it was made for fails the check, so a forged or
forwarded button can never reach another user's session or job. The session id lets an old
button (after /cancel or /new) be told apart and answered kindly. Team order buttons carry
``t`` before the same format (`TEAM_PREFIX`, `conversations.teams.buttons`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

VERSION: Final = "1"
SIG_BYTES: Final = 8
MAX_LENGTH: Final = 64
TEAM_PREFIX: Final = "t"
PATTERN: Final = VERSION + r"\.[a-z]{2}\.[0-9]+\.[^.]*\.[A-Za-z0-9_-]+"
"""A regular expression matching callback data (for persistent-button templates)."""
TEAM_PATTERN: Final = TEAM_PREFIX + PATTERN


class Action(StrEnum):
    """What a button does; two letters keep the data short."""

    CHOOSE_STYLES = "cs"
    STYLE_PAGE = "pg"
    PICK_STYLE = "st"
    PREVIEW_OK = "ok"
    CONFIRM = "cf"
    BACK_TO_STYLES = "bk"
    CANCEL_ORDER = "cx"
    MORE_LIKE = "ml"
    ANOTHER_STYLE = "as"
    FULL_RESOLUTION = "fr"
    STUDIO = "sd"
    """Order a studio album (a LoRA trained on the selfies) after the instant one."""
    DELETE_YES = "dy"
    DELETE_NO = "dn"
    SET_LANGUAGE = "lg"
    """Answer in the language `arg` names from now on (`conversations.shared.language`)."""
    SHARE_AVATAR = "sa"
    """Discord: post a result to the server's chosen channel (`conversations.servers.policy`)."""
    TEAM_JOIN = "tj"
    TEAM_GO = "tg"
    TEAM_PICK = "tp"
    TEAM_REDO = "tr"
    TEAM_LEAVE = "tl"
    TEAM_EXPORT = "te"
    TEAM_CANCEL = "tc"
    """Team orders (`conversations.teams.buttons`): their data starts with "t1." instead of "1."."""


class CallbackError(ValueError):
    """Callback data that is malformed, of another version, or not signed for this user."""


@dataclass(frozen=True)
class Callback:
    action: Action
    session_id: int
    arg: str = ""


class CallbackSigner:
    """Makes and checks callback data for one secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            msg = "callback_secret must not be empty"
            raise ValueError(msg)
        self._key = secret.encode()

    def _sig(self, platform: str, user_id: str, body: str) -> str:
        mac = hmac.new(self._key, f"{platform}|{user_id}|{body}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:SIG_BYTES]).decode().rstrip("=")

    def sign(self, platform: str, user_id: str, callback: Callback) -> str:
        if "." in callback.arg:
            msg = f"callback arg must not contain '.': {callback.arg!r}"
            raise ValueError(msg)
        body = f"{VERSION}.{callback.action.value}.{callback.session_id}.{callback.arg}"
        data = f"{body}.{self._sig(platform, user_id, body)}"
        if len(data.encode()) > MAX_LENGTH:
            msg = f"callback data too long ({len(data)} bytes): {data!r}"
            raise ValueError(msg)
        return data

    def verify(self, platform: str, user_id: str, data: str) -> Callback:
        """The callback inside `data`, or `CallbackError` if it was not made for this user."""
        parts = data.split(".")
        if len(parts) != 5 or parts[0] != VERSION:
            msg = "unknown callback format"
            raise CallbackError(msg)
        body, sig = ".".join(parts[:4]), parts[4]
        if not hmac.compare_digest(sig, self._sig(platform, user_id, body)):
            msg = "callback signature does not match this user"
            raise CallbackError(msg)
        try:
            action = Action(parts[1])
            session_id = int(parts[2])
        except ValueError as exc:
            msg = "unknown callback action"
            raise CallbackError(msg) from exc
        return Callback(action, session_id, parts[3])


def is_team_data(data: str) -> bool:
    """Team order button data (``t1.…``)."""
    return data.startswith(f"{TEAM_PREFIX}{VERSION}.")


def peek(data: str) -> Callback | None:
    """What button `data` is, signature NOT checked: for routing and drawing only (which button
    is the style picker, which one shares). Act on `CallbackSigner.verify`'s answer, never on
    this. Team data is read without its prefix; None for anything else."""
    body = data.removeprefix(TEAM_PREFIX) if is_team_data(data) else data
    if not re.fullmatch(PATTERN, body):
        return None
    _version, action, session, arg, _sig = body.split(".")
    try:
        return Callback(Action(action), int(session), arg)
    except ValueError:
        return None
