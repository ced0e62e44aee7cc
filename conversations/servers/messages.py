"""Sentences about community servers (Discord guilds, Telegram groups), in one place.

Kept beside `conversations.shared.messages` (the one-to-one dialogue's sentences) so both can be
translated together.
"""

from __future__ import annotations

from typing import Final

from conversations.i18n.translate import N_, NP_

CHECK_DMS: Final = N_("I sent you a direct message: send your selfies there, they stay private. {link}")
DMS_CLOSED: Final = N_(
    "I can't send you direct messages. To open them: right-click this server's icon → "
    'Privacy Settings → turn on "Direct Messages" (on mobile: tap the server name → '
    "Privacy Settings), then run /headshot start again."
)
CHANNEL_NOT_ALLOWED: Final = N_("I don't answer in this channel. Try {channels}.")
QUOTA_REACHED: Final = NP_(
    "You have used today's {quota} order on this server. Try again tomorrow.",
    "You have used today's {quota} orders on this server. Try again tomorrow.",
)
ADMIN_ONLY: Final = N_("Only members who can manage this server can change my settings.")
SERVER_ONLY: Final = N_("That command only works inside a server.")

SETTINGS: Final = N_(
    "Settings for this server:\n"
    "• channels: {channels}\n"
    "• orders per member per day: {quota}\n"
    "• styles: {styles}{avatar_first}\n"
    "• results may be posted publicly: {public}"
)
EVERY_CHANNEL: Final = N_("every channel")
EVERY_STYLE: Final = N_("all")
AVATAR_FIRST: Final = N_(" (avatar styles first)")
UNLIMITED: Final = N_("unlimited")
PUBLIC_IN: Final = N_("yes, in {channel}")
NOT_PUBLIC: Final = N_("no")
SETTINGS_SAVED: Final = N_("Saved.\n{settings}")
UNKNOWN_STYLES: Final = N_("I don't know these styles: {names}. /headshot styles lists them.")
SHARE_CHANNEL_MISSING: Final = N_("Choose the channel where members may post their results.")

SHARE_BUTTON: Final = N_("Set as my server avatar idea")
SHARED: Final = N_("Posted your #{rank} in {channel}.")
SHARE_POST: Final = N_("{member}'s server avatar idea ({style})")
SHARE_NOT_ALLOWED: Final = N_("This server doesn't allow posting results publicly.")
SHARE_NOTHING: Final = N_("I can't find that result any more.")
