"""The button layouts: the paged style picker, the preview and order buttons, the album's.

Every button's data is signed for the user who will press it (`conversations.shared.callbacks`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from conversations.i18n.translate import tr, tr_n
from conversations.shared import messages as msg
from conversations.shared.callbacks import Action, Callback, CallbackSigner
from conversations.shared.replies import Button, Keyboard
from engine.styles import StyleTemplate

STYLES_PER_PAGE = 6
STYLES_PER_ROW = 2
MORE_LIKE_BUTTONS = 3
STYLE_ARG_CHARS = 16
"""A style name longer than this travels in button data as a short digest (callback data holds 64
bytes on Telegram, the signature and the rest take about 30)."""
LABEL_CHARS = 40
"""Button labels are cut here: Discord refuses labels over 80 characters, and a long label on a
two-button Telegram row is cut off on a phone anyway."""


def style_arg(name: str) -> str:
    """What a style button carries: the name itself when short, else `~` and a 10-character digest."""
    if len(name) <= STYLE_ARG_CHARS:
        return name
    return "~" + hashlib.sha256(name.encode()).hexdigest()[:10]


def style_from_arg(arg: str, names: Iterable[str]) -> str | None:
    """The style name a button's `arg` stands for among `names`, or None when none matches."""
    return next((name for name in names if style_arg(name) == arg), None)


def button_label(text: str) -> str:
    """`text` shortened with an ellipsis to fit every platform's button."""
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class ButtonMaker:
    """Signs buttons for one user of one platform, in one session."""

    signer: CallbackSigner
    platform: str
    user_id: str
    session_id: int

    def __call__(self, label: str, action: Action, arg: str = "") -> Button:
        data = self.signer.sign(self.platform, self.user_id, Callback(action, self.session_id, arg))
        return Button(label, data)


def style_pages(count: int, per_page: int = STYLES_PER_PAGE) -> int:
    return max(1, math.ceil(count / per_page))


def style_picker(
    make: ButtonMaker, styles: Sequence[StyleTemplate], page: int, per_page: int = STYLES_PER_PAGE
) -> tuple[str, Keyboard]:
    """One page of the style picker with previous / next buttons where there are more.

    `per_page` is the platform's (`PlatformLimits.styles_per_picker`): a select menu shows
    25 styles at once, so Discord gets one page."""
    pages = style_pages(len(styles), per_page)
    page = max(0, min(page, pages - 1))
    shown = styles[page * per_page : (page + 1) * per_page]
    rows: list[tuple[Button, ...]] = [
        tuple(style_button(make, t) for t in shown[i : i + STYLES_PER_ROW])
        for i in range(0, len(shown), STYLES_PER_ROW)
    ]
    nav = []
    if page > 0:
        nav.append(make(tr(msg.PREVIOUS), Action.STYLE_PAGE, str(page - 1)))
    if page < pages - 1:
        nav.append(make(tr(msg.NEXT), Action.STYLE_PAGE, str(page + 1)))
    if nav:
        rows.append(tuple(nav))
    text = (
        tr(msg.STYLE_PICKER).format(page=page + 1, pages=pages)
        if pages > 1
        else tr(msg.STYLE_PICKER_ONE_PAGE)
    )
    return text, tuple(rows)


def style_button(make: ButtonMaker, template: StyleTemplate) -> Button:
    return make(button_label(tr(template.label)), Action.PICK_STYLE, style_arg(template.name))


def choose_style_button(make: ButtonMaker) -> Keyboard:
    return ((make(tr(msg.CHOOSE_STYLE), Action.CHOOSE_STYLES),),)


def preview_buttons(make: ButtonMaker) -> Keyboard:
    return (
        (make(tr(msg.LOOKS_GOOD), Action.PREVIEW_OK), make(tr(msg.ANOTHER_STYLE), Action.BACK_TO_STYLES)),
    )


def confirm_buttons(make: ButtonMaker) -> Keyboard:
    return ((make(tr(msg.CONFIRM), Action.CONFIRM),), (make(tr(msg.BACK), Action.BACK_TO_STYLES),))


def cancel_order_button(make: ButtonMaker) -> Keyboard:
    return ((make(tr(msg.CANCEL_ORDER), Action.CANCEL_ORDER),),)


def album_buttons(
    make: ButtonMaker, ranks: Sequence[int], job_id: str = "", studio_minutes: int | None = None
) -> Keyboard:
    """The buttons under an album. They name their job, so pressing them on an older album
    (after "more like" made a newer one) still acts on the album they sit under. With
    `studio_minutes`, a last row offers the studio album."""
    more = tuple(
        make(tr(msg.MORE_LIKE).format(rank=r), Action.MORE_LIKE, album_arg(r, job_id))
        for r in ranks[:MORE_LIKE_BUTTONS]
    )
    rows: list[tuple[Button, ...]] = [more] if more else []
    rows.append(
        (
            make(tr(msg.ANOTHER_STYLE), Action.ANOTHER_STYLE),
            make(tr(msg.FULL_RESOLUTION), Action.FULL_RESOLUTION, album_arg(0, job_id)),
        )
    )
    if studio_minutes is not None:
        rows.append(
            (make(tr_n(msg.STUDIO_ALBUM, studio_minutes).format(minutes=studio_minutes), Action.STUDIO),)
        )
    return tuple(rows)


def delete_buttons(make: ButtonMaker) -> Keyboard:
    return ((make(tr(msg.DELETE_YES), Action.DELETE_YES), make(tr(msg.DELETE_NO), Action.DELETE_NO)),)


def album_arg(rank: int, job_id: str) -> str:
    """`rank:job` for album buttons (rank 0 when the button is not about one image)."""
    return f"{rank}:{job_id}" if job_id else str(rank)


def parse_album_arg(arg: str) -> tuple[int, str | None] | None:
    """(rank, job id or None) from `album_arg`'s format, or None if it is not one."""
    rank, _, job_id = arg.partition(":")
    if not rank.isdigit():
        return None
    return int(rank), job_id or None
