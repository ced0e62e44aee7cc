"""Persistent buttons and the style select menu, keyed by conversations' signed callback data.

A button's `custom_id` IS the conversation's callback data (`1.<action>.<session>.<arg>.<sig>`,
under 64 characters), so any button the bot ever posted is understood after a restart: the
classes are registered with `Bot.add_dynamic_items` and rebuilt from the id alone. Style
buttons are drawn as one select menu whose option values are the same signed data.
Ownership is checked before anything else: the signature is bound to the member it was made
for, so a button pressed by someone else is refused without touching their session.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol

import discord

from conversations.i18n.translate import tr
from conversations.shared import messages as msg
from conversations.shared.callbacks import PATTERN, TEAM_PATTERN, Action, is_team_data, peek
from conversations.shared.replies import Button, Keyboard

if TYPE_CHECKING:
    from discord.ui.item import Item

CALLBACK_PATTERN = PATTERN
PICKER_PREFIX = "hs1:styles:"
MAX_PER_ROW = 5
MAX_ROWS = 5
MAX_OPTIONS = 25


class ComponentHandler(Protocol):
    """What the bot does with a pressed component (see `handlers.discord.bot`)."""

    async def owns(self, interaction: discord.Interaction[Any], data: str) -> bool: ...

    async def component_pressed(self, interaction: discord.Interaction[Any], data: str) -> None: ...

    async def team_button_pressed(self, interaction: discord.Interaction[Any], data: str) -> None: ...


def _handler(interaction: discord.Interaction[Any]) -> ComponentHandler:
    client: Any = interaction.client
    return client  # type: ignore[no-any-return]


def action_of(data: str) -> str:
    """The action code inside callback data ('' if it is not callback data), for drawing."""
    callback = peek(data)
    return callback.action.value if callback is not None and not is_team_data(data) else ""


def session_of(data: str) -> str:
    callback = peek(data)
    return str(callback.session_id) if callback is not None else "0"


class ConversationButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=f"(?P<data>{CALLBACK_PATTERN})"
):
    def __init__(self, data: str, label: str = "…", row: int | None = None) -> None:
        style = (
            discord.ButtonStyle.primary
            if action_of(data) == Action.CONFIRM
            else discord.ButtonStyle.secondary
        )
        super().__init__(discord.ui.Button(label=label[:80], custom_id=data, style=style), row=row)
        self.data = data

    @classmethod
    async def from_custom_id(
        cls, _interaction: discord.Interaction[Any], item: Item[Any], match: re.Match[str], /
    ) -> ConversationButton:
        return cls(match["data"], getattr(item, "label", None) or "…")

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return await _handler(interaction).owns(interaction, self.data)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _handler(interaction).component_pressed(interaction, self.data)


class TeamButton(ConversationButton, template=f"(?P<data>{TEAM_PATTERN})"):
    """A team order button; anyone may press it, the conversation decides what is allowed."""

    async def interaction_check(self, _interaction: discord.Interaction[Any], /) -> bool:
        return True

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _handler(interaction).team_button_pressed(interaction, self.data)


class StylePicker(
    discord.ui.DynamicItem[discord.ui.Select[Any]], template=PICKER_PREFIX + r"(?P<session>[0-9]+)"
):
    """The style picker; each option's value is the signed "pick this style" data."""

    def __init__(self, session: str, options: list[discord.SelectOption] | None = None) -> None:
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=PICKER_PREFIX + session,
            placeholder=tr(msg.CHOOSE_STYLE),  # drawn while the member's locale is set
            options=options or [discord.SelectOption(label="…", value="…")],
        )
        super().__init__(select)

    @classmethod
    async def from_custom_id(
        cls, _interaction: discord.Interaction[Any], _item: Item[Any], match: re.Match[str], /
    ) -> StylePicker:
        return cls(match["session"])

    @staticmethod
    def _chosen(interaction: discord.Interaction[Any]) -> str:
        data: dict[str, Any] = dict(interaction.data or {})
        values = data.get("values") or [""]
        return str(values[0])

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return await _handler(interaction).owns(interaction, self._chosen(interaction))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _handler(interaction).component_pressed(interaction, self._chosen(interaction))


def keyboard_view(keyboard: Keyboard) -> discord.ui.View | None:
    """A persistent view for `keyboard`: style buttons as one select menu, the rest as buttons."""
    styles = [b for row in keyboard for b in row if action_of(b.data) == Action.PICK_STYLE]
    rows: list[list[Button]] = []
    for row in keyboard:
        others = [b for b in row if action_of(b.data) != Action.PICK_STYLE]
        rows.extend(others[i : i + MAX_PER_ROW] for i in range(0, len(others), MAX_PER_ROW))
    if not styles and not rows:
        return None
    view = discord.ui.View(timeout=None)
    row_index = 0
    if styles:
        options = [discord.SelectOption(label=b.label[:100], value=b.data) for b in styles[:MAX_OPTIONS]]
        picker = StylePicker(session_of(styles[0].data), options)
        picker.row = 0
        view.add_item(picker)
        row_index = 1
    for buttons in rows[: MAX_ROWS - row_index]:
        for button in buttons:
            view.add_item(_button_item(button, row_index))
        row_index += 1
    return view


def _button_item(button: Button, row: int) -> discord.ui.Item[Any]:
    """Team order buttons (`t1.…`) have their own persistent class."""
    if is_team_data(button.data):
        return TeamButton(button.data, button.label, row=row)
    return ConversationButton(button.data, button.label, row=row)
