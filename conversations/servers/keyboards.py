"""A member's server shapes their keyboards: which styles the picker offers, in which order,
and whether the album gets a "set as my server avatar idea" button.

The conversation draws the same keyboards for every platform; an adapter whose chats belong
to a server (Discord) passes each keyboard through `for_server` before drawing it. Buttons
are signed exactly like the conversation's own, for the member the session belongs to.
"""

from __future__ import annotations

from collections.abc import Sequence

from conversations.servers import messages as server_msg
from conversations.servers.settings import (
    ServerSettings,
    load_server_settings,
    offered_styles,
    server_of_chat,
)
from conversations.shared import sessions
from conversations.shared.callbacks import Action, CallbackSigner
from conversations.shared.keyboards import STYLES_PER_ROW, ButtonMaker, style_button
from conversations.shared.replies import Button, Keyboard
from engine.styles import StyleTemplate
from storage.database import Database
from storage.models import User

MAX_PICKER_STYLES = 25
"""Discord's limit of options in one select menu."""


def _action(button: Button) -> str:
    parts = button.data.split(".")
    return parts[1] if len(parts) == 5 else ""


def for_server(
    db: Database, signer: CallbackSigner, platform: str, keyboard: Keyboard, styles: Sequence[StyleTemplate]
) -> Keyboard:
    """`keyboard` as the member's server wants it (unchanged outside a server)."""
    buttons = [b for row in keyboard for b in row]
    picker = next((b for b in buttons if _action(b) == Action.PICK_STYLE), None)
    album = next((b for b in buttons if _action(b) == Action.FULL_RESOLUTION), None)
    anchor = picker or album
    if anchor is None:
        return keyboard
    session_id = int(anchor.data.split(".")[2])
    row = sessions.get_session(db, session_id)
    if row is None:
        return keyboard
    with db.session() as session:
        user = session.get(User, row.user_id)
    if user is None:
        return keyboard
    make = ButtonMaker(signer, platform, user.platform_user_id, session_id)
    server_id = server_of_chat(db, platform, row.chat_id)
    server = load_server_settings(db, platform, server_id) if server_id else ServerSettings()
    if picker is not None:
        return _all_styles(make, offered_styles(server, styles)) + tuple(
            r for r in keyboard if not any(_action(b) in {Action.PICK_STYLE, Action.STYLE_PAGE} for b in r)
        )
    if server.public_results and server.share_channel:
        return (*keyboard, (make(server_msg.SHARE_BUTTON, Action.SHARE_AVATAR, "1"),))
    return keyboard


def _all_styles(make: ButtonMaker, styles: Sequence[StyleTemplate]) -> Keyboard:
    """Every offered style on one keyboard (a select menu shows them without paging)."""
    shown = styles[:MAX_PICKER_STYLES]
    return tuple(
        tuple(style_button(make, t) for t in shown[i : i + STYLES_PER_ROW])
        for i in range(0, len(shown), STYLES_PER_ROW)
    )
