"""Sentences about community servers (Discord guilds, Telegram groups), in one place.

Kept beside `conversations.shared.messages` (the one-to-one dialogue's sentences) so both can be
translated together.
"""

from __future__ import annotations

from typing import Final

CHECK_DMS: Final = "I sent you a direct message: send your selfies there, they stay private. {link}"
DMS_CLOSED: Final = (
    "I can't send you direct messages. To open them: right-click this server's icon → "
    'Privacy Settings → turn on "Direct Messages" (on mobile: tap the server name → '
    "Privacy Settings), then run /headshot start again."
)
CHANNEL_NOT_ALLOWED: Final = "I don't answer in this channel. Try {channels}."
QUOTA_REACHED: Final = "You have used today's {quota} order(s) on this server. Try again tomorrow."
ADMIN_ONLY: Final = "Only members who can manage this server can change my settings."
SERVER_ONLY: Final = "That command only works inside a server."

SETTINGS: Final = (
    "Settings for this server:\n"
    "• channels: {channels}\n"
    "• orders per member per day: {quota}\n"
    "• styles: {styles}{avatar_first}\n"
    "• results may be posted publicly: {public}"
)
EVERY_CHANNEL: Final = "every channel"
EVERY_STYLE: Final = "all"
AVATAR_FIRST: Final = " (avatar styles first)"
UNLIMITED: Final = "unlimited"
SETTINGS_SAVED: Final = "Saved.\n{settings}"
UNKNOWN_STYLES: Final = "I don't know these styles: {names}. /headshot styles lists them."
SHARE_CHANNEL_MISSING: Final = "Choose the channel where members may post their results."

SHARE_BUTTON: Final = "Set as my server avatar idea"
SHARED: Final = "Posted your #{rank} in {channel}."
SHARE_POST: Final = "{member}'s server avatar idea ({style})"
SHARE_NOT_ALLOWED: Final = "This server doesn't allow posting results publicly."
SHARE_NOTHING: Final = "I can't find that result any more."
