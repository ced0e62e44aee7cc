"""Which language to answer a user in, and the /language picker that changes it.

The user's own choice (stored on the user row) wins; without one, the platform's hint
(`ChatRef.locale`, remembered as `User.language`) decides; English when neither matches a
catalogue. Messages built for someone other than the user being answered (a team card for the
group, a reminder to a member) are built under that person's locale (`use_locale`).
"""

from __future__ import annotations

from conversations.i18n.translate import LANGUAGE_NAMES, LOCALES, negotiate, tr
from conversations.shared.callbacks import Action
from conversations.shared.keyboards import ButtonMaker
from conversations.shared.replies import Button, Keyboard
from engine.styles import StyleLibrary
from storage.database import Database
from storage.models import User

LANGUAGES_PER_ROW = 2


def user_locale(user: User | None, hint: str | None = None) -> str:
    """The locale to answer `user` in: their /language choice, else the platform's hint."""
    if user is not None and user.locale:
        return negotiate(user.locale)
    return negotiate(hint or (user.language if user is not None else None))


def shown_style(library: StyleLibrary | None, name: str) -> str:
    """A style as the user reads it: its label in their language ('Corporativo'), the name
    itself for a style the library no longer has (or without a library: a courier-only test)."""
    return tr(library.get(name).label) if library is not None and name in library else name


def locale_of(db: Database, user_id: int) -> str:
    """`user_locale` of a stored user (blocking: run in a thread)."""
    with db.session() as session:
        return user_locale(session.get(User, user_id))


def language_buttons(make: ButtonMaker, current: str) -> Keyboard:
    """One button per language, each named in its own language; the current one ticked."""
    buttons = [
        make(("✓ " if code == current else "") + LANGUAGE_NAMES[code], Action.SET_LANGUAGE, code)
        for code in LOCALES
    ]
    rows: list[tuple[Button, ...]] = [
        tuple(buttons[i : i + LANGUAGES_PER_ROW]) for i in range(0, len(buttons), LANGUAGES_PER_ROW)
    ]
    return tuple(rows)
