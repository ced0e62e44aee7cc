"""What a chat platform can and cannot do, as the dialogue needs to know it.

Each adapter declares one `PlatformLimits` (`handlers.platform.PlatformAdapter.limits`); the
conversation shapes its replies by it: a platform with a select menu gets every offered
style on one keyboard instead of pages, one without toasts gets notices as texts, one
without deep links gets the Join button as a plain button.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlatformLimits:
    platform: str
    """The `ChatRef.platform` of this platform's chats ("telegram", "discord")."""
    max_upload_bytes: int
    """The biggest file the adapter can download (bigger ones are refused as too large)."""
    max_text: int = 4096
    """Characters in one message (longer texts are split by the adapter)."""
    media_group: int = 10
    """Images in one message."""
    styles_per_picker: int = 6
    """Style buttons per picker page; a select menu shows up to 25 at once, without paging."""
    notices: bool = True
    """A button press can be answered with a toast; without, a notice is a text."""
    deep_links: bool = False
    """A button can open the private chat with a start payload (Telegram's t.me links)."""
    private_chat_first: bool = False
    """The bot may write to someone privately only after they wrote to it (Telegram answers 403
    "bot can't initiate conversation"): the team card asks the organiser to open that chat."""
