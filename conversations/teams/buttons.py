"""Team order buttons: the card's (anyone may press; the server checks who may manage) and
the personal ones (signed for one member or for the organiser).

Data is ``t`` + the usual signed callback (`conversations.shared.callbacks`), with the team id in the
session field: ``t1.<action>.<team>.<arg>.<sig>``. The card's buttons are signed for "*" so a
forged card button still fails, while anyone in the chat can press a real one.
"""

from __future__ import annotations

from dataclasses import dataclass

from conversations.shared.callbacks import (
    TEAM_PREFIX,
    Action,
    Callback,
    CallbackError,
    CallbackSigner,
    is_team_data,
)
from conversations.shared.replies import Button

PREFIX = TEAM_PREFIX
ANYONE = "*"
TEAM_ACTIONS = frozenset(
    {
        Action.TEAM_JOIN,
        Action.TEAM_GO,
        Action.TEAM_PICK,
        Action.TEAM_REDO,
        Action.TEAM_LEAVE,
        Action.TEAM_EXPORT,
        Action.TEAM_CANCEL,
    }
)


@dataclass(frozen=True)
class TeamButtonMaker:
    """Signs team buttons for `owner` (a platform user id, or `ANYONE` for the card)."""

    signer: CallbackSigner
    platform: str
    owner: str
    team_id: int

    def __call__(self, label: str, action: Action, arg: str = "", *, deep_link: str = "") -> Button:
        data = PREFIX + self.signer.sign(self.platform, self.owner, Callback(action, self.team_id, arg))
        return Button(label, data, deep_link)


def verify_team_data(signer: CallbackSigner, platform: str, user_id: str, data: str) -> tuple[Callback, bool]:
    """The callback and whether it is a card button (signed for anyone); `CallbackError` if
    it was made neither for this user nor for the card, or is not a team action."""
    if not is_team_data(data):
        raise CallbackError("not a team button")
    body = data.removeprefix(PREFIX)
    for owner in (user_id, ANYONE):
        try:
            callback = signer.verify(platform, owner, body)
        except CallbackError:
            continue
        if callback.action not in TEAM_ACTIONS:
            raise CallbackError("not a team action")
        return callback, owner == ANYONE
    raise CallbackError("team button not made for this user")
